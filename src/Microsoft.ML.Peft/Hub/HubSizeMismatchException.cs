namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// A downloaded file's length differs from the size the Hub announced (<c>X-Linked-Size</c> or <c>Content-Length</c>).
/// The partial download is deleted, so a retry starts afresh.
/// </summary>
public sealed class HubSizeMismatchException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which file, and both sizes.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file whose length does not match.</param>
    /// <param name="expectedBytes">The size the Hub announced.</param>
    /// <param name="actualBytes">The number of bytes received.</param>
    public HubSizeMismatchException(string message, string repoId, string revision, string fileName, long expectedBytes, long actualBytes)
        : base(message, repoId, revision, fileName)
    {
        ExpectedBytes = expectedBytes;
        ActualBytes = actualBytes;
    }

    /// <summary>The size the Hub announced.</summary>
    public long ExpectedBytes { get; }

    /// <summary>The number of bytes received.</summary>
    public long ActualBytes { get; }
}
