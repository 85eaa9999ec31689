using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Interrupted downloads continue from their <c>blobs/{etag}.incomplete</c> file with a Range request.</summary>
public sealed class HubResumeTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private string IncompletePath(FakeHubFile file) => Path.Combine(_context.RepoFolder, "blobs", file.CacheEtag + ".incomplete");

    [Fact]
    public async Task ConnectionDroppedMidBodyIsResumedWithRange()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 20_000);
        string commit = _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        _context.Server.DropConnectionOnce("model.safetensors", afterBytes: 7_000);

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        Assert.Equal(files["model.safetensors"].Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
        RecordedRequest[] gets = [.. _context.Server.Requests.Where(r => r.Method == "GET" && r.IsFor("model.safetensors"))];
        Assert.Equal(2, gets.Length);
        Assert.Null(gets[0].Range);
        // The bytes that arrived before the drop are kept; the second request asks for the rest.
        Assert.Equal("bytes=7000-", gets[1].Range);
        Assert.False(File.Exists(IncompletePath(files["model.safetensors"])));
        Assert.Equal(commit, Path.GetFileName(snapshot));
    }

    [Fact]
    public async Task ExistingIncompleteFileIsContinuedFromItsLength()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 10_000);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        FakeHubFile weights = files["model.safetensors"];
        Directory.CreateDirectory(Path.GetDirectoryName(IncompletePath(weights))!);
        await File.WriteAllBytesAsync(IncompletePath(weights), weights.Content[..4_000]);
        var progress = new RecordingProgress();

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(), progress: progress);

        RecordedRequest get = Assert.Single(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("model.safetensors"));
        Assert.Equal("bytes=4000-", get.Range);
        Assert.Equal(weights.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
        Assert.Equal(4_000, progress.Reports.First(r => r.FileName == "model.safetensors").BytesDownloaded);
        Assert.False(File.Exists(IncompletePath(weights)));
    }

    [Fact]
    public async Task ServerIgnoringRangeRestartsFromTheBeginning()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 10_000);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        _context.Server.IgnoreRange = true;
        FakeHubFile weights = files["model.safetensors"];
        Directory.CreateDirectory(Path.GetDirectoryName(IncompletePath(weights))!);
        await File.WriteAllBytesAsync(IncompletePath(weights), weights.Content[..4_000]);

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        RecordedRequest get = Assert.Single(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("model.safetensors"));
        Assert.Equal("bytes=4000-", get.Range);
        // The 200 answer carried the whole file; appending it to the prefix would have doubled those bytes.
        Assert.Equal(weights.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task CompleteIncompleteFileNeedsNoDownload()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 10_000);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        FakeHubFile weights = files["model.safetensors"];
        Directory.CreateDirectory(Path.GetDirectoryName(IncompletePath(weights))!);
        await File.WriteAllBytesAsync(IncompletePath(weights), weights.Content);

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        Assert.DoesNotContain(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("model.safetensors"));
        Assert.Equal(weights.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task CancelledDownloadKeepsItsPartialFileAndTheNextCallResumes()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 4 << 20);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        FakeHubFile weights = files["model.safetensors"];
        using var cancel = new CancellationTokenSource();
        var progress = new RecordingProgress(report =>
        {
            if (report.FileName == "model.safetensors" && report.BytesDownloaded >= 1 << 20)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(), progress: progress, cancellationToken: cancel.Token));

        long kept = new FileInfo(IncompletePath(weights)).Length;
        Assert.InRange(kept, 1 << 20, weights.Content.Length - 1);
        Assert.False(File.Exists(Path.Combine(_context.RepoFolder, "blobs", weights.CacheEtag)));
        Assert.False(File.Exists(Path.Combine(_context.RepoFolder, "refs", "main"))); // the model is not complete yet

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        RecordedRequest lastGet = _context.Server.Requests.Last(r => r.Method == "GET" && r.IsFor("model.safetensors"));
        Assert.Equal($"bytes={kept}-", lastGet.Range);
        Assert.Equal(weights.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task TransferThatKeepsFailingThrowsAndKeepsThePartialFile()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 10_000);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        FakeHubFile weights = files["model.safetensors"];
        _context.Server.DropConnectionOnce("model.safetensors", afterBytes: 0);
        HubClient client = _context.Client(maxResumeAttempts: 1);

        var error = await Assert.ThrowsAsync<HubDownloadInterruptedException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: client));

        Assert.Equal("model.safetensors", error.FileName);
        Assert.Equal(IncompletePath(weights), error.IncompletePath);
        Assert.Contains("resumes", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(error.IncompletePath));
    }
}
