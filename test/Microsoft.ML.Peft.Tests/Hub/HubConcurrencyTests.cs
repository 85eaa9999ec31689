using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>The per-blob lock file keeps concurrent downloads of one file from writing it twice.</summary>
public sealed class HubConcurrencyTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public async Task LockIsExclusiveUntilReleased()
    {
        string path = Path.Combine(_context.Scratch, ".locks", "models--a--b", "etag.lock");
        using var cancel = new CancellationTokenSource();

        Task<CacheFileLock> second;
        using (await CacheFileLock.AcquireAsync(path, CancellationToken.None))
        {
            second = CacheFileLock.AcquireAsync(path, cancel.Token);
            await cancel.CancelAsync();
            // Only a waiter can be cancelled: had it taken the held lock, it would have returned it.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        }

        using CacheFileLock third = await CacheFileLock.AcquireAsync(path, CancellationToken.None);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task ConcurrentDownloadsOfOneFileFetchItOnce()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 2 << 20);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        HubClient first = _context.Client();
        HubClient second = _context.Client();

        string[] paths = await Task.WhenAll(
            Task.Run(() => first.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors")),
            Task.Run(() => second.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors")));

        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(files["model.safetensors"].Content, await File.ReadAllBytesAsync(paths[0]));
        Assert.Single(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("model.safetensors"));
    }
}
