using System.Diagnostics;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>Timing and memory helpers: medians over repeats after warm-up, and the process's resident set size.</summary>
internal static class Measurement
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times; returns the median seconds.</summary>
    public static double MedianSeconds(Action action, int warmup, int repeats)
    {
        for (int i = 0; i < warmup; i++)
        {
            action();
        }

        var seconds = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return Median(seconds);
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The resident set size (VmRSS) of this process in MiB, or NaN where /proc is unavailable.</summary>
    public static double ResidentMiB() => ReadStatusMiB("VmRSS:");

    /// <summary>The peak resident set size (VmHWM) of this process in MiB, or NaN where /proc is unavailable.</summary>
    public static double PeakResidentMiB() => ReadStatusMiB("VmHWM:");

    private static double ReadStatusMiB(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return double.NaN;
        }

        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line[field.Length..].Trim().Split(' ')[0]) / 1024.0;
    }
}
