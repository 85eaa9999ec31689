using System.Text.RegularExpressions;

namespace Microsoft.ML.Peft.Hub;

/// <summary>The Hub's naming rules: repository ids, revisions, commit hashes, ETags, and file names in a repository.</summary>
internal static partial class HubNames
{
    public const string DefaultRevision = "main";

    private const int MaxRepoIdPartLength = 96;

    /// <summary>Whether <paramref name="revision"/> is a full commit hash (which never moves, unlike a branch or tag).</summary>
    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    /// <summary>Whether an ETag is a SHA-256 (LFS files) rather than a git SHA-1 (files stored in git).</summary>
    public static bool IsSha256(string etag) => Sha256().IsMatch(etag);

    /// <summary>
    /// Checks a repository id the way the Hub does: <c>name</c> or <c>namespace/name</c>, each part of letters, digits,
    /// <c>-</c>, <c>_</c> and <c>.</c>, not starting or ending with <c>-</c> or <c>.</c>, no <c>--</c> or <c>..</c>,
    /// each part at most 96 characters. Returns the reason it is invalid, or null.
    /// </summary>
    public static string? RepoIdProblem(string repoId)
    {
        if (repoId.Length == 0)
        {
            return "it is empty";
        }

        if (repoId.Contains("--", StringComparison.Ordinal) || repoId.Contains("..", StringComparison.Ordinal))
        {
            return "it contains '--' or '..'";
        }

        string[] parts = repoId.Split('/');
        if (parts.Length > 2)
        {
            return "it has more than one '/' (a Hub id is 'name' or 'namespace/name')";
        }

        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            if (!RepoIdPart().IsMatch(part))
            {
                return $"'{part}' is not made of letters, digits, '-', '_' and '.' (not starting or ending with '-' or '.')";
            }

            // huggingface_hub's REPO_ID_REGEX limits the name to 96 characters, not the whole id. Its namespace has no
            // limit there; the same limit keeps models--{namespace}--{name} within a 255-byte folder name.
            if (part.Length > MaxRepoIdPartLength)
            {
                string which = i == parts.Length - 1 ? "name" : "namespace";
                return $"the {which} part is longer than {MaxRepoIdPartLength} characters ({part.Length})";
            }
        }

        return null;
    }

    /// <summary>Returns the reason a revision is unusable as a cache path (<c>refs/{revision}</c>), or null.</summary>
    public static string? RevisionProblem(string revision)
    {
        if (revision.Length == 0 || revision.Trim() != revision)
        {
            return "it is empty or has surrounding spaces";
        }

        return SafeRelativePath(revision) ? null : "it is not a plain name (no '..', empty or rooted parts)";
    }

    /// <summary>Whether a file name in a repository (forward slashes for folders) stays inside the folder it is joined to.</summary>
    public static bool SafeRelativePath(string path) =>
        path.Length > 0 && !path.Contains('\\') && !Path.IsPathRooted(path) && !path.Contains(':') &&
        path.Split('/').All(part => part.Length > 0 && part is not "." and not "..");

    /// <summary>Whether a server-provided value (commit hash, ETag) can name a single file or folder in the cache.</summary>
    public static bool SafeSegment(string value) => value.Length is > 0 and <= 256 && SegmentCharacters().IsMatch(value) && value is not "." and not "..";

    /// <summary>The cache folder name of a model repository: <c>models--{org}--{name}</c>.</summary>
    public static string RepoFolderName(string repoId) => "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();

    [GeneratedRegex(@"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?$")]
    private static partial Regex RepoIdPart();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex SegmentCharacters();
}
