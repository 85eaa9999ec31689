namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// A download kept failing mid-transfer and retrying did not help. The bytes received so far are kept in the
/// <c>.incomplete</c> file, and the next attempt resumes from there.
/// </summary>
public sealed class HubDownloadInterruptedException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which file, how far it got and where the partial file is.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file being downloaded.</param>
    /// <param name="incompletePath">The partial file kept for resuming.</param>
    /// <param name="bytesReceived">How many bytes the partial file holds.</param>
    /// <param name="innerException">The last transfer error.</param>
    public HubDownloadInterruptedException(string message, string repoId, string revision, string fileName, string incompletePath, long bytesReceived, Exception innerException)
        : base(message, repoId, revision, fileName, innerException)
    {
        IncompletePath = incompletePath;
        BytesReceived = bytesReceived;
    }

    /// <summary>The partial file kept for resuming (<c>blobs/{etag}.incomplete</c>).</summary>
    public string IncompletePath { get; }

    /// <summary>How many bytes the partial file holds.</summary>
    public long BytesReceived { get; }
}
