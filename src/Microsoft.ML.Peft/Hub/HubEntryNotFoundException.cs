namespace Microsoft.ML.Peft.Hub;

/// <summary>The repository and revision exist on the Hub but hold no file of the requested name.</summary>
public sealed class HubEntryNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing, naming the repository, revision and file.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The missing file.</param>
    /// <param name="commitHash">The commit the revision resolved to, when the Hub said so.</param>
    public HubEntryNotFoundException(string message, string repoId, string revision, string fileName, string? commitHash)
        : base(message, repoId, revision, fileName)
    {
        CommitHash = commitHash;
    }

    /// <summary>The commit the revision resolved to (the Hub's <c>X-Repo-Commit</c> header), when known.</summary>
    public string? CommitHash { get; }
}
