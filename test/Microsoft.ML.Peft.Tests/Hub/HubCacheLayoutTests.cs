using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>A model downloaded from the fake Hub lands in exactly the layout huggingface_hub uses, and is reused from there.</summary>
public sealed class HubCacheLayoutTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public void DownloadedModelHasHuggingFaceHubCacheLayout()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        string commit = _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        string snapshot = BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client());

        string repo = _context.RepoFolder;
        Assert.Equal(Path.Combine(repo, "snapshots", commit), snapshot);
        Assert.Equal(commit, File.ReadAllText(Path.Combine(repo, "refs", "main")));
        Assert.Equal(
            files.Values.Select(file => file.CacheEtag).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(repo, "blobs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(
            files.Keys.Order(StringComparer.Ordinal),
            Directory.GetFileSystemEntries(snapshot).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach ((string name, FakeHubFile file) in files)
        {
            string pointer = Path.Combine(snapshot, name);
            Assert.Equal(Path.Combine("..", "..", "blobs", file.CacheEtag), new FileInfo(pointer).LinkTarget);
            Assert.Equal(file.Content, File.ReadAllBytes(pointer));
        }

        // LFS blobs are named by SHA-256, git blobs by git SHA-1.
        Assert.Equal(64, files["model.safetensors"].CacheEtag.Length);
        Assert.Equal(40, files["config.json"].CacheEtag.Length);
        Assert.Equal(
            ["merges.txt", "special_tokens_map.json", "vocab.json"],
            Directory.GetFiles(Path.Combine(repo, ".no_exist", commit)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(repo, "*.incomplete", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(_context.CacheDirectory, ".locks", "models--tiny-org--tiny-bert", files["model.safetensors"].CacheEtag + ".lock")));
    }

    [Fact]
    public void SecondResolveUsesTheCacheWithoutAnyRequest()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        string first = BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client());
        int requests = _context.Server.RequestCount;
        Assert.True(requests > 0);

        string second = BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client());

        Assert.Equal(first, second);
        Assert.Equal(requests, _context.Server.RequestCount);
    }

    [Fact]
    public void LfsFileIsFetchedFromTheRedirectTargetAndSmallFilesFromTheHub()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client(token: "hf_secret"));

        RecordedRequest[] requests = [.. _context.Server.Requests];
        RecordedRequest weightsGet = Assert.Single(requests, r => r.Method == "GET" && r.IsFor("model.safetensors"));
        Assert.True(weightsGet.ToCdn);
        Assert.Null(weightsGet.Authorization); // the token never leaves the Hub's host
        Assert.Single(requests, r => r.Method == "GET" && r.IsFor("config.json") && !r.ToCdn);
        Assert.All(requests.Where(r => !r.ToCdn), r => Assert.Equal("Bearer hf_secret", r.Authorization));
        Assert.All(requests.Where(r => r.Method == "HEAD"), r => Assert.Equal("identity", r.Headers["accept-encoding"]));
        // One HEAD per file looked up: config, weights, six tokenizer files.
        Assert.Equal(8, requests.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public void ProgressReportsEveryFileUpToItsSize()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 3 << 20);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        var progress = new RecordingProgress();

        BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client(), progress: progress);

        foreach ((string name, FakeHubFile file) in files)
        {
            DownloadProgress[] reports = [.. progress.Reports.Where(r => r.FileName == name)];
            Assert.NotEmpty(reports);
            Assert.All(reports, r => Assert.Equal(file.Content.Length, r.TotalBytes));
            Assert.Equal(file.Content.Length, reports[^1].BytesDownloaded);
            Assert.Equal(reports.Select(r => r.BytesDownloaded).Order(), reports.Select(r => r.BytesDownloaded));
        }

        // The 3 MiB weights are reported along the way, not only at the end.
        Assert.True(progress.Reports.Count(r => r.FileName == "model.safetensors") >= 3);
    }

    [Fact]
    public void RenamedRepositoryIsFollowedThroughItsRelativeRedirect()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        string commit = _context.Server.AddRepository("new-org/tiny-bert").Commit(files);
        _context.Server.Rename(HubTestContext.RepoId, "new-org/tiny-bert");

        string snapshot = BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client());

        // Cached under the id that was asked for, as huggingface_hub does.
        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", commit), snapshot);
        Assert.Equal(files["config.json"].Content, File.ReadAllBytes(Path.Combine(snapshot, "config.json")));
        Assert.Contains(_context.Server.Requests, r => r.Method == "HEAD" && r.Target.StartsWith("/new-org/tiny-bert/resolve/main/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DownloadFileAsyncReturnsTheSnapshotPointer()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        string commit = _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        HubClient client = _context.Client();

        string path = await client.DownloadFileAsync(HubTestContext.RepoId, "vocab.txt");

        Assert.Equal(Path.Combine(_context.RepoFolder, "snapshots", commit, "vocab.txt"), path);
        Assert.Equal(files["vocab.txt"].Content, File.ReadAllBytes(path));
        Assert.Equal(commit, File.ReadAllText(Path.Combine(_context.RepoFolder, "refs", "main")));
        HubFileMetadata metadata = await client.GetFileMetadataAsync(HubTestContext.RepoId, "model.safetensors");
        Assert.True(metadata.IsLfs);
        Assert.Equal(files["model.safetensors"].Sha256, metadata.ETag);
        Assert.Equal(files["model.safetensors"].Content.Length, metadata.Size);
        Assert.Equal(commit, metadata.CommitHash);
        Assert.NotEqual(new Uri(_context.Server.Endpoint).Port, metadata.Location.Port);
        HubFileMetadata small = await client.GetFileMetadataAsync(HubTestContext.RepoId, "vocab.txt");
        Assert.False(small.IsLfs);
        Assert.Equal(files["vocab.txt"].GitSha1, small.ETag);
        Assert.Equal(files["vocab.txt"].Content.Length, small.Size); // Content-Length of the HEAD answer
        Assert.Equal(client.GetResolveUrl(HubTestContext.RepoId, "vocab.txt"), small.Location);
    }
}
