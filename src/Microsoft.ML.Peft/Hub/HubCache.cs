namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// The Hugging Face Hub cache folder, in exactly the layout <c>huggingface_hub</c> uses, so files downloaded here are
/// found by Python and the other way round:
/// <code>
/// {root}/models--{org}--{name}/
///     blobs/{etag}                      file contents, named by git SHA-1 or (LFS) SHA-256
///     blobs/{etag}.incomplete           a download in progress, resumed from its length
///     snapshots/{commit}/{filename}     symbolic link to ../../blobs/{etag} (a copy where links are unsupported)
///     refs/{revision}                   the commit hash a branch or tag last resolved to
///     .no_exist/{commit}/{filename}     empty marker: the file does not exist at that commit
/// {root}/.locks/models--{org}--{name}/{etag}.lock
/// </code>
/// </summary>
public sealed class HubCache
{
    private const string BlobsFolder = "blobs";
    private const string SnapshotsFolder = "snapshots";
    private const string RefsFolder = "refs";
    private const string NoExistFolder = ".no_exist";
    private const string LocksFolder = ".locks";

    /// <summary>Uses the cache folder at <paramref name="root"/> (created when first written to).</summary>
    public HubCache(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache folder <c>huggingface_hub</c> uses on this machine (from <c>HF_HUB_CACHE</c>, <c>HF_HOME</c> and so on).</summary>
    public static string DefaultRoot => HubEnvironment.Process.CacheDirectory;

    /// <summary>The cache folder (the one holding the <c>models--{org}--{name}</c> folders).</summary>
    public string Root { get; }

    /// <summary>The folder of one repository: <c>{root}/models--{org}--{name}</c>.</summary>
    public string GetRepositoryFolder(string repoId) => Path.Combine(Root, HubNames.RepoFolderName(CheckedRepoId(repoId)));

    /// <summary>The snapshot folder of one commit, where the model's files appear under their repository names.</summary>
    public string GetSnapshotFolder(string repoId, string commitHash) =>
        Path.Combine(GetRepositoryFolder(repoId), SnapshotsFolder, CheckedSegment(commitHash, "commit hash"));

    /// <summary>
    /// The commit a revision stands for without asking the Hub: a commit hash stands for itself; a branch or tag is
    /// looked up in <c>refs/{revision}</c>. Null when the cache has never resolved it.
    /// </summary>
    public string? TryResolveCommit(string repoId, string? revision = null)
    {
        string rev = revision ?? HubNames.DefaultRevision;
        if (HubNames.IsCommitHash(rev))
        {
            return rev;
        }

        string refPath = RefPath(repoId, rev);
        if (!File.Exists(refPath))
        {
            return null;
        }

        string commit = File.ReadAllText(refPath).Trim();
        return HubNames.SafeSegment(commit) ? commit : null;
    }

    /// <summary>The cached copy of <paramref name="fileName"/> at <paramref name="revision"/>, or null when it is not cached (a link whose blob is gone is not).</summary>
    public string? TryGetCachedFile(string repoId, string fileName, string? revision = null)
    {
        string? commit = TryResolveCommit(repoId, revision);
        if (commit is null)
        {
            return null;
        }

        string pointer = GetPointerPath(repoId, commit, fileName);
        return SnapshotPointer.Exists(pointer) ? pointer : null;
    }

    /// <summary>Whether the cache records that <paramref name="fileName"/> does not exist at <paramref name="commitHash"/> (a <c>.no_exist</c> marker).</summary>
    public bool IsKnownMissing(string repoId, string commitHash, string fileName) => File.Exists(NoExistPath(repoId, commitHash, fileName));

    internal string GetPointerPath(string repoId, string commitHash, string fileName) =>
        Path.Combine(GetSnapshotFolder(repoId, commitHash), LocalRelativePath(fileName));

    internal string GetBlobPath(string repoId, string etag) =>
        Path.Combine(GetRepositoryFolder(repoId), BlobsFolder, CheckedSegment(etag, "ETag"));

    internal string GetLockPath(string repoId, string etag) =>
        Path.Combine(Root, LocksFolder, HubNames.RepoFolderName(CheckedRepoId(repoId)), CheckedSegment(etag, "ETag") + ".lock");

    /// <summary>Records that <paramref name="revision"/> resolved to <paramref name="commitHash"/>; nothing to record for a commit hash itself.</summary>
    internal void WriteRef(string repoId, string revision, string commitHash)
    {
        if (revision == commitHash)
        {
            return;
        }

        string refPath = RefPath(repoId, revision);
        // Rewriting an unchanged ref would fail needlessly in a read-only shared cache.
        if (File.Exists(refPath) && File.ReadAllText(refPath).Trim() == commitHash)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        File.WriteAllText(refPath, commitHash);
    }

    /// <summary>Records that <paramref name="fileName"/> does not exist at <paramref name="commitHash"/>, so later look-ups need not ask.</summary>
    internal void MarkMissing(string repoId, string commitHash, string fileName)
    {
        string marker = NoExistPath(repoId, commitHash, fileName);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            using (File.Create(marker))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only an optimisation: a read-only cache simply asks the Hub again next time.
        }
    }

    private string RefPath(string repoId, string revision)
    {
        if (HubNames.RevisionProblem(revision) is { } problem)
        {
            throw new ArgumentException($"The revision '{revision}' is not usable: {problem}.", nameof(revision));
        }

        return Path.Combine(GetRepositoryFolder(repoId), RefsFolder, LocalRelativePath(revision));
    }

    private string NoExistPath(string repoId, string commitHash, string fileName) =>
        Path.Combine(GetRepositoryFolder(repoId), NoExistFolder, CheckedSegment(commitHash, "commit hash"), LocalRelativePath(fileName));

    private static string LocalRelativePath(string repoPath)
    {
        if (!HubNames.SafeRelativePath(repoPath))
        {
            throw new ArgumentException(
                $"'{repoPath}' is not a relative path inside a repository (forward slashes, no '..', empty or rooted parts).", nameof(repoPath));
        }

        return Path.Combine(repoPath.Split('/'));
    }

    private static string CheckedRepoId(string repoId)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        return HubNames.RepoIdProblem(repoId) is { } problem
            ? throw new ArgumentException($"'{repoId}' is not a Hugging Face Hub repository id: {problem}.", nameof(repoId))
            : repoId;
    }

    private static string CheckedSegment(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        return HubNames.SafeSegment(value)
            ? value
            : throw new ArgumentException($"The {what} '{value}' cannot name a cache entry (letters, digits, '.', '-' and '_' only).", nameof(value));
    }
}
