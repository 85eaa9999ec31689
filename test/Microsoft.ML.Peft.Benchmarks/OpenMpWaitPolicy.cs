using System.Runtime.InteropServices;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// OpenMP's wait policy for libtorch's worker threads. By default (active) idle workers spin before they sleep; on a
/// machine shared with other processes a spinning worker burns the time slice another thread of the same op needs, and
/// every parallel op then waits at its barrier for a descheduled thread (measured here: a BERT-base forward took 2-3×
/// longer). Passive makes idle workers sleep at once. libgomp reads the variable when it loads, so it must be set before
/// the first torch call; children inherit it.
/// </summary>
internal static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>Sets OMP_WAIT_POLICY for this process (native environment) and its children, unless <paramref name="policy"/> is "default" or the variable is already set.</summary>
    public static string Apply(string policy)
    {
        string? existing = Environment.GetEnvironmentVariable(Variable);
        if (existing is { Length: > 0 })
        {
            return existing + " (from the environment)";
        }

        if (policy.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            return "default";
        }

        string value = policy.ToUpperInvariant();
        Environment.SetEnvironmentVariable(Variable, value);
        if (!OperatingSystem.IsWindows())
        {
            // .NET keeps its own copy of the environment on Unix; libgomp reads the C library's.
            _ = SetEnv(Variable, value, 1);
        }

        return value;
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
