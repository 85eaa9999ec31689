namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// A file or model is needed from the Hub, the Hub cannot be asked (offline mode, or the machine appears offline), and
/// the local cache does not hold it.
/// </summary>
public sealed class HubOfflineException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing, where the cache was looked up and why the Hub could not be asked.</param>
    /// <param name="reason">Why the Hub could not be asked.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file asked for, or null for a whole model.</param>
    /// <param name="innerException">The network error, if any.</param>
    public HubOfflineException(string message, HubOfflineReason reason, string repoId, string? revision, string? fileName, Exception? innerException = null)
        : base(message, repoId, revision, fileName, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the Hub could not be asked.</summary>
    public HubOfflineReason Reason { get; }
}
