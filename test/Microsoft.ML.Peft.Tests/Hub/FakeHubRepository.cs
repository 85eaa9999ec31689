using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>A repository of the fake Hub: commits (each a set of files) and branches pointing at commits.</summary>
internal sealed class FakeHubRepository
{
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, FakeHubFile>> _commits = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public FakeHubRepository(string repoId) => RepoId = repoId;

    public string RepoId { get; }

    /// <summary>Adds a commit holding <paramref name="files"/> and points <paramref name="branch"/> at it; returns its 40-hex hash.</summary>
    public string Commit(IReadOnlyDictionary<string, FakeHubFile> files, string branch = "main")
    {
        lock (_gate)
        {
            string hash = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{RepoId}:{_commits.Count}:{string.Join(',', files.Keys)}")));
            _commits[hash] = files;
            _refs[branch] = hash;
            return hash;
        }
    }

    /// <summary>The commit a revision (branch name or commit hash) stands for, or null.</summary>
    public string? ResolveRevision(string revision)
    {
        lock (_gate)
        {
            return _refs.TryGetValue(revision, out string? commit) ? commit : _commits.ContainsKey(revision) ? revision : null;
        }
    }

    public FakeHubFile? File(string commit, string fileName)
    {
        lock (_gate)
        {
            return _commits[commit].GetValueOrDefault(fileName);
        }
    }
}
