using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Offline mode never touches the network; an unreachable Hub falls back to the cache.</summary>
public sealed class HubOfflineTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private string DownloadOnce()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        return BaseModelResolver.Resolve(HubTestContext.RepoId, hub: _context.Client());
    }

    [Fact]
    public async Task OfflineModeWithoutCacheSaysTheModelIsNotCached()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());

        var error = await Assert.ThrowsAsync<HubOfflineException>(() =>
            BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(offline: true)));

        Assert.Equal(HubOfflineReason.OfflineModeEnabled, error.Reason);
        Assert.Contains(HubTestContext.RepoId, error.Message, StringComparison.Ordinal);
        Assert.Contains("offline mode is on", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in the cache", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _context.Server.RequestCount);
    }

    [Fact]
    public async Task OfflineModeServesTheCachedSnapshotWithoutRequests()
    {
        string online = DownloadOnce();
        int requests = _context.Server.RequestCount;

        string offline = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(offline: true, checkForUpdates: true));

        Assert.Equal(online, offline);
        Assert.Equal(requests, _context.Server.RequestCount);
    }

    [Fact]
    public async Task OfflineModeServesASnapshotThatLacksOnlyOptionalFiles()
    {
        string online = DownloadOnce();
        File.Delete(Path.Combine(online, "vocab.txt"));

        string offline = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(offline: true));

        Assert.Equal(online, offline);
    }

    [Fact]
    public async Task OfflineModeRefusesASnapshotWithoutWeights()
    {
        string online = DownloadOnce();
        File.Delete(Path.Combine(online, "model.safetensors"));

        var error = await Assert.ThrowsAsync<HubOfflineException>(() =>
            BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(offline: true)));

        Assert.Contains("lacks the config or weights", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineDownloadFileUsesTheCacheOrSaysWhy()
    {
        string online = DownloadOnce();
        HubClient offline = _context.Client(offline: true);

        Assert.Equal(Path.Combine(online, "config.json"), await offline.DownloadFileAsync(HubTestContext.RepoId, "config.json"));
        var missing = await Assert.ThrowsAsync<HubOfflineException>(() => offline.DownloadFileAsync(HubTestContext.RepoId, "README.md"));
        Assert.Equal("README.md", missing.FileName);
        var metadata = await Assert.ThrowsAsync<HubOfflineException>(() => offline.GetFileMetadataAsync(HubTestContext.RepoId, "config.json"));
        Assert.Equal(HubOfflineReason.OfflineModeEnabled, metadata.Reason);
    }

    [Fact]
    public async Task ConnectionRefusedFallsBackToTheCachedSnapshot()
    {
        string online = DownloadOnce();
        // CheckForUpdates makes the resolver ask the Hub although the snapshot is complete.
        HubClient unreachable = _context.Client(endpoint: HubTestContext.RefusingEndpoint(), checkForUpdates: true);

        Assert.Equal(online, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: unreachable));
        Assert.Equal(Path.Combine(online, "vocab.txt"), await unreachable.DownloadFileAsync(HubTestContext.RepoId, "vocab.txt"));
    }

    [Fact]
    public async Task ConnectionRefusedWithoutCacheSaysTheMachineAppearsOffline()
    {
        HubClient unreachable = _context.Client(endpoint: HubTestContext.RefusingEndpoint());

        var error = await Assert.ThrowsAsync<HubOfflineException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: unreachable));

        Assert.Equal(HubOfflineReason.NetworkUnreachable, error.Reason);
        Assert.Contains(HubTestContext.RepoId, error.Message, StringComparison.Ordinal);
        Assert.Contains("appears to be offline", error.Message, StringComparison.Ordinal);
        Assert.Contains(unreachable.Endpoint, error.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task HubOutageFallsBackToTheCacheOrReportsTheStatus()
    {
        string online = DownloadOnce();
        _context.Server.ServiceUnavailable = true;

        Assert.Equal(online, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(checkForUpdates: true)));
        var error = await Assert.ThrowsAsync<HubRequestException>(() => BaseModelResolver.ResolveAsync("tiny-org/other", hub: _context.Client()));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("HTTP 503", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NameResolutionFailureIsTreatedAsOffline()
    {
        using var handler = new FailingHandler(new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (hub.example:443)"));
        using var client = new HubClient(new HubClientOptions
        {
            Endpoint = "https://hub.example",
            CacheDirectory = _context.CacheDirectory,
            Offline = false,
            Token = "",
            HttpMessageHandler = handler,
        });

        var error = await Assert.ThrowsAsync<HubOfflineException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: client));

        Assert.Equal(HubOfflineReason.NetworkUnreachable, error.Reason);
        Assert.Contains("Name or service not known", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsFailureIsNotMistakenForBeingOffline()
    {
        using var handler = new FailingHandler(new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established"));
        using var client = new HubClient(new HubClientOptions
        {
            Endpoint = "https://hub.example",
            CacheDirectory = _context.CacheDirectory,
            Offline = false,
            Token = "",
            HttpMessageHandler = handler,
        });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: client));

        Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
    }

    /// <summary>Fails every request the way a socket-level error does, without any network.</summary>
    private sealed class FailingHandler(HttpRequestException failure) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromException<HttpResponseMessage>(failure);
    }
}
