using System.Runtime.InteropServices;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// (internal) The resident set size sampled every few milliseconds on a background thread, with the highest sample kept
/// per named phase, and glibc's heap figures (mallinfo2) at phase ends: where in a step the peak is, and how much of the
/// heap is free but resident (fragmentation) at that point.
/// </summary>
internal sealed class PhaseMemory : IDisposable
{
    private readonly Dictionary<string, double> _peaks = [];
    private readonly Thread _sampler;
    private volatile string _phase = "setup";
    private volatile bool _stopped;

    public PhaseMemory()
    {
        _sampler = new Thread(Sample) { IsBackground = true, Name = nameof(PhaseMemory) };
        _sampler.Start();
    }

    /// <summary>Starts attributing samples to <paramref name="phase"/>.</summary>
    public void Enter(string phase) => _phase = phase;

    /// <summary>The highest resident MiB seen in each phase.</summary>
    public IReadOnlyDictionary<string, double> Peaks
    {
        get
        {
            lock (_peaks)
            {
                return new Dictionary<string, double>(_peaks);
            }
        }
    }

    /// <summary>glibc's heap size, bytes in use and free bytes inside it, in MiB; null where mallinfo2 is unavailable.</summary>
    public static (double Heap, double InUse, double Free, double Mapped)? Heap()
    {
        try
        {
            MallInfo2 info = mallinfo2();
            const double MiB = 1024 * 1024;
            return (info.Arena / MiB, info.Uordblks / MiB, info.Fordblks / MiB, info.Hblkhd / MiB);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _sampler.Join();
    }

    private void Sample()
    {
        while (!_stopped)
        {
            double rss = Measurement.ResidentMiB();
            string phase = _phase;
            lock (_peaks)
            {
                _peaks[phase] = Math.Max(_peaks.GetValueOrDefault(phase), rss);
            }

            Thread.Sleep(2);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();
}
