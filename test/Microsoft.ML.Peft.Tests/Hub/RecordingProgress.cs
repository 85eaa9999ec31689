using System.Collections.Concurrent;
using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Records progress reports as they happen (unlike <see cref="Progress{T}"/>, which posts them later).</summary>
internal sealed class RecordingProgress(Action<DownloadProgress>? onReport = null) : IProgress<DownloadProgress>
{
    private readonly ConcurrentQueue<DownloadProgress> _reports = new();

    public IReadOnlyList<DownloadProgress> Reports => _reports.ToArray();

    public void Report(DownloadProgress value)
    {
        _reports.Enqueue(value);
        onReport?.Invoke(value);
    }
}
