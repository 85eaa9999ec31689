namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// A downloaded LFS file's SHA-256 differs from the one the Hub announced (its <c>X-Linked-Etag</c>). The partial
/// download is deleted, so a retry starts afresh.
/// </summary>
public sealed class HubChecksumMismatchException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which file, and both hashes.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file whose content does not match.</param>
    /// <param name="expectedSha256">The SHA-256 the Hub announced (lower-case hex).</param>
    /// <param name="actualSha256">The SHA-256 of the bytes received (lower-case hex).</param>
    public HubChecksumMismatchException(string message, string repoId, string revision, string fileName, string expectedSha256, string actualSha256)
        : base(message, repoId, revision, fileName)
    {
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The SHA-256 the Hub announced (lower-case hex).</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The SHA-256 of the bytes received (lower-case hex).</summary>
    public string ActualSha256 { get; }
}
