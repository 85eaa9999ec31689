#!/usr/bin/env bash
# Prints one line "N passed, N failed, N skipped" summed over the TRX files that `dotnet test`
# wrote into the folder given as $1. Exits 1 when no TRX file or no executed test was found.
set -euo pipefail
dir="${1:?usage: trx-summary.sh RESULTS_DIR}"
passed=0; failed=0; skipped=0; files=0
while IFS= read -r -d '' trx; do
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(value total); p=$(value passed); f=$(value failed); e=$(value error); t=$(value timeout)
  run_failed=$(( ${f:-0} + ${e:-0} + ${t:-0} ))
  passed=$((passed + ${p:-0}))
  failed=$((failed + run_failed))
  # Skipped tests are counted in total but neither passed nor failed (the TRX logger leaves notExecuted at 0).
  skipped=$((skipped + ${total:-0} - ${p:-0} - run_failed))
done < <(find "$dir" -name '*.trx' -print0)
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$files" -eq 0 ] || [ $((passed + failed)) -eq 0 ]; then
  echo "no test results found in $dir" >&2
  exit 1
fi
