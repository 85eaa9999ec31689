namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Base of the errors raised while resolving or downloading files from the Hugging Face Hub. Each names the repository,
/// and where they apply the revision and the file.
/// </summary>
public class HubException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the repository, revision and file.</param>
    /// <param name="repoId">The repository id (<c>org/name</c>).</param>
    /// <param name="revision">The revision asked for, or null when none applies.</param>
    /// <param name="fileName">The file in the repository, or null when the error is not about one file.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public HubException(string message, string repoId, string? revision = null, string? fileName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        RepoId = repoId;
        Revision = revision;
        FileName = fileName;
    }

    /// <summary>The repository id (<c>org/name</c>).</summary>
    public string RepoId { get; }

    /// <summary>The revision (branch, tag or commit hash) asked for, or null when none applies.</summary>
    public string? Revision { get; }

    /// <summary>The file in the repository, or null when the error is not about one file.</summary>
    public string? FileName { get; }

    /// <summary>Whether the Hub gave this error to the metadata (HEAD) request of a download, where a cached copy may serve (see <see cref="CacheFallback"/>).</summary>
    internal bool FromMetadataRequest { get; set; }
}
