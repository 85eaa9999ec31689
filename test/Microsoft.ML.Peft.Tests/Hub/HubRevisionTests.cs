using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Revisions: commit hashes pin a snapshot; branches move; unknown ones are clear errors.</summary>
public sealed class HubRevisionTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CommitHashRevisionPinsThatSnapshot(bool inline)
    {
        FakeHubRepository repository = _context.Server.AddRepository(HubTestContext.RepoId);
        Dictionary<string, FakeHubFile> oldFiles = HubTestContext.ModelFiles(seed: 1);
        string oldCommit = repository.Commit(oldFiles);
        string newCommit = repository.Commit(HubTestContext.ModelFiles(seed: 2));
        Assert.NotEqual(oldCommit, newCommit);

        string snapshot = inline
            ? await BaseModelResolver.ResolveAsync($"{HubTestContext.RepoId}@{oldCommit}", hub: _context.Client())
            : await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, oldCommit, _context.Client());

        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", oldCommit), snapshot);
        Assert.Equal(oldFiles["model.safetensors"].Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
        Assert.All(_context.Server.Requests.Where(r => !r.ToCdn), r => Assert.Contains($"/resolve/{oldCommit}/", r.Target, StringComparison.Ordinal));
        // A commit hash needs no ref; none is written, and main was never asked for.
        Assert.False(Directory.Exists(Path.Combine(_context.RepoFolder, "refs")));

        int requests = _context.Server.RequestCount;
        HubClient checking = _context.Client(checkForUpdates: true);
        Assert.Equal(snapshot, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, oldCommit, checking));
        Assert.Equal(requests, _context.Server.RequestCount); // a commit never changes, so it is never re-checked
    }

    [Fact]
    public async Task CheckForUpdatesMovesABranchToItsNewCommit()
    {
        FakeHubRepository repository = _context.Server.AddRepository(HubTestContext.RepoId);
        string oldCommit = repository.Commit(HubTestContext.ModelFiles(seed: 1));
        string first = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        Dictionary<string, FakeHubFile> newFiles = HubTestContext.ModelFiles(seed: 2);
        string newCommit = repository.Commit(newFiles);

        string cached = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        string updated = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(checkForUpdates: true));

        Assert.Equal(first, cached);
        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", oldCommit), first);
        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", newCommit), updated);
        Assert.Equal(newCommit, await File.ReadAllTextAsync(Path.Combine(_context.RepoFolder, "refs", "main")));
        Assert.Equal(newFiles["model.safetensors"].Content, await File.ReadAllBytesAsync(Path.Combine(updated, "model.safetensors")));
        // The unchanged small files are shared blobs: downloaded once, linked from both snapshots.
        Assert.Single(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("config.json"));
    }

    [Fact]
    public async Task BranchNamesAreCachedUnderRefs()
    {
        FakeHubRepository repository = _context.Server.AddRepository(HubTestContext.RepoId);
        repository.Commit(HubTestContext.ModelFiles(seed: 1));
        string release = repository.Commit(HubTestContext.ModelFiles(seed: 3), branch: "v1.0");

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId + "@v1.0", hub: _context.Client());

        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", release), snapshot);
        Assert.Equal(release, await File.ReadAllTextAsync(Path.Combine(_context.RepoFolder, "refs", "v1.0")));
        Assert.False(File.Exists(Path.Combine(_context.RepoFolder, "refs", "main")));
    }

    [Fact]
    public async Task UnknownRevisionIsAClearError()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());

        var error = await Assert.ThrowsAsync<HubRevisionNotFoundException>(() =>
            BaseModelResolver.ResolveAsync(HubTestContext.RepoId, "no-such-branch", _context.Client()));

        Assert.Equal("no-such-branch", error.Revision);
        Assert.Contains("no-such-branch", error.Message, StringComparison.Ordinal);
        Assert.Contains(HubTestContext.RepoId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRepositoryMentionsTokensAndLocalPaths()
    {
        var error = await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() =>
            BaseModelResolver.ResolveAsync("nobody/nothing", hub: _context.Client()));

        Assert.Equal("nobody/nothing", error.RepoId);
        Assert.Contains("HF_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Contains("local file or folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RevisionWithSlashesIsOneEscapedUrlSegment()
    {
        using HubClient client = new(new HubClientOptions { Endpoint = "https://hub.example/", CacheDirectory = _context.CacheDirectory });

        Uri url = client.GetResolveUrl("org/name", "sub folder/config.json", "refs/pr/1");

        Assert.Equal("https://hub.example/org/name/resolve/refs%2Fpr%2F1/sub%20folder/config.json", url.AbsoluteUri);
    }
}
