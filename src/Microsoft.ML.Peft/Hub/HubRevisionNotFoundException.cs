namespace Microsoft.ML.Peft.Hub;

/// <summary>The repository exists on the Hub but has no branch, tag or commit of the requested name.</summary>
public sealed class HubRevisionNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was asked for.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision that does not exist.</param>
    /// <param name="fileName">The file asked for.</param>
    public HubRevisionNotFoundException(string message, string repoId, string revision, string? fileName)
        : base(message, repoId, revision, fileName)
    {
    }
}
