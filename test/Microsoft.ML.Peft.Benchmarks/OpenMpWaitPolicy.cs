using System.Runtime.InteropServices;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// How libtorch's OpenMP worker threads (GNU libgomp) wait between parallel ops. With libgomp's default an idle worker
/// spins 300000 rounds before it sleeps; on a machine shared with other processes that spinning burns the time slice
/// another thread of the same op needs, and every op then waits at its barrier for a descheduled thread (measured here:
/// a BERT-base forward took 2-3× longer). <c>passive</c> makes idle workers sleep at once, but then every op pays a
/// futex wake-up (perf: 5 % of a bf16 LoRA step in <c>try_to_wake_up</c> under <c>GOMP_parallel</c>). <c>brief</c>, the
/// default, spins <see cref="BriefSpinCount"/> rounds and then sleeps: on an idle machine it was 7-36 % faster per
/// BERT-base step than passive, and with one core taken by another process about 8 % slower (see README.md).
/// libgomp reads the variables when it loads, so they must be set before the first torch call; children inherit them.
/// </summary>
internal static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's own setting for how many rounds an idle worker spins; it takes precedence over <see cref="Variable"/>.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>The spin count of <c>brief</c>: long enough to bridge the gap between consecutive ops of a step, short enough not to starve other processes.</summary>
    public const int BriefSpinCount = 2000;

    /// <summary>The policy the benchmark commands use unless told otherwise.</summary>
    public const string DefaultPolicy = "brief";

    /// <summary>The values <see cref="Apply"/> accepts.</summary>
    public static readonly string[] Policies = ["brief", "passive", "active", "default"];

    /// <summary>
    /// Sets libgomp's wait settings for this process (native environment) and its children, and says what was applied:
    /// nothing for "default" or where <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> is already set (the environment
    /// wins), <c>GOMP_SPINCOUNT</c> for "brief", <c>OMP_WAIT_POLICY</c> for "passive" and "active".
    /// </summary>
    public static string Apply(string policy)
    {
        string[] inherited = new[] { Variable, SpinCountVariable }
            .Where(name => Environment.GetEnvironmentVariable(name) is { Length: > 0 })
            .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}")
            .ToArray();
        if (inherited.Length > 0)
        {
            return string.Join(" ", inherited) + " (from the environment)";
        }

        switch (policy.ToLowerInvariant())
        {
            case "default":
                return "default";
            case "brief":
                Set(SpinCountVariable, BriefSpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return $"brief ({SpinCountVariable}={BriefSpinCount})";
            case "passive" or "active":
                string value = policy.ToUpperInvariant();
                Set(Variable, value);
                return value;
            default:
                throw new ArgumentException($"Unknown OpenMP wait policy '{policy}'; expected {string.Join(", ", Policies)}.", nameof(policy));
        }
    }

    private static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows())
        {
            // .NET keeps its own copy of the environment on Unix; libgomp reads the C library's.
            _ = SetEnv(name, value, 1);
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
