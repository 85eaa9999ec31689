namespace Microsoft.ML.Peft.Hub;

/// <summary>What the Hub's HEAD request says about one file at one revision.</summary>
/// <param name="RepoId">The repository.</param>
/// <param name="FileName">The file in the repository.</param>
/// <param name="Revision">The revision asked for (branch, tag or commit hash).</param>
/// <param name="CommitHash">The commit the revision resolved to (<c>X-Repo-Commit</c>).</param>
/// <param name="ETag">
/// The content's identity and the blob's name in the cache: <c>X-Linked-Etag</c> for LFS files (the SHA-256 of the
/// content), otherwise <c>ETag</c> (a git SHA-1); quotes and a weak <c>W/</c> prefix removed.
/// </param>
/// <param name="Size">The content length (<c>X-Linked-Size</c> for LFS files, else <c>Content-Length</c>), when announced.</param>
/// <param name="Location">Where to download the content: the storage (CDN) an LFS file redirects to, else the resolve URL.</param>
public sealed record HubFileMetadata(string RepoId, string FileName, string Revision, string CommitHash, string ETag, long? Size, Uri Location)
{
    /// <summary>Whether the file is stored with Git LFS, whose ETag is the SHA-256 of its content and is checked after download.</summary>
    public bool IsLfs => HubNames.IsSha256(ETag);
}
