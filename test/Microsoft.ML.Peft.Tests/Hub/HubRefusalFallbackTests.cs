using System.Net;
using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>
/// When the Hub refuses the metadata request (repository not found or needs a token, gated, any other error status) or
/// answers without the Hub's headers, a cached copy of the revision serves, as in huggingface_hub's
/// <c>hf_hub_download</c>; with nothing cached the specific error stands. A missing revision or file never falls back.
/// </summary>
public sealed class HubRefusalFallbackTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private async Task<string> CacheConfigAsync()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        return await _context.Client().DownloadFileAsync(HubTestContext.RepoId, "config.json");
    }

    private HubClient ClientWith(HttpMessageHandler handler) => new(new HubClientOptions
    {
        Endpoint = "https://hub.example",
        CacheDirectory = _context.CacheDirectory,
        Offline = false,
        Token = "",
        HttpMessageHandler = handler,
    });

    [Fact]
    public async Task CachedFileServesWhenTheHubSaysTheRepositoryIsNotFoundOrPrivate()
    {
        string cached = await CacheConfigAsync();
        using var empty = new FakeHubServer(); // answers 401 RepoNotFound, as for a private repository without a token

        string again = await _context.Client(endpoint: empty.Endpoint).DownloadFileAsync(HubTestContext.RepoId, "config.json");

        Assert.Equal(cached, again);
        Assert.True(empty.RequestCount > 0);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "GatedRepo")]
    [InlineData(HttpStatusCode.NotFound, "RepoNotFound")]
    [InlineData(HttpStatusCode.BadRequest, null)]
    [InlineData(HttpStatusCode.Unauthorized, null)]
    public async Task CachedFileServesWhenTheHubRefusesTheRequest(HttpStatusCode status, string? errorCode)
    {
        string cached = await CacheConfigAsync();
        using var handler = new FixedResponseHandler(status, errorCode);
        using HubClient client = ClientWith(handler);

        Assert.Equal(cached, await client.DownloadFileAsync(HubTestContext.RepoId, "config.json"));
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task CachedFileServesWhenTheResponseIsNotTheHubs()
    {
        string cached = await CacheConfigAsync();
        using var handler = new FixedResponseHandler(HttpStatusCode.OK, errorCode: null); // a captive portal's login page

        using HubClient client = ClientWith(handler);

        Assert.Equal(cached, await client.DownloadFileAsync(HubTestContext.RepoId, "config.json"));
    }

    [Fact]
    public async Task WithoutACachedCopyTheSpecificErrorStands()
    {
        using var gated = new FixedResponseHandler(HttpStatusCode.Forbidden, "GatedRepo");
        using var portal = new FixedResponseHandler(HttpStatusCode.OK, errorCode: null);
        using HubClient gatedClient = ClientWith(gated);
        using HubClient portalClient = ClientWith(portal);

        var notFound = await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() =>
            _context.Client().DownloadFileAsync(HubTestContext.RepoId, "config.json"));
        var gatedError = await Assert.ThrowsAsync<HubRequestException>(() => gatedClient.DownloadFileAsync(HubTestContext.RepoId, "config.json"));
        var portalError = await Assert.ThrowsAsync<HubRequestException>(() => portalClient.DownloadFileAsync(HubTestContext.RepoId, "config.json"));

        Assert.Contains("HF_TOKEN", notFound.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, gatedError.StatusCode);
        Assert.Contains("gated", gatedError.Message, StringComparison.Ordinal);
        Assert.Contains("X-Repo-Commit", portalError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherFileOfTheRevisionDoesNotMakeTheRequestedOneCached()
    {
        await CacheConfigAsync();
        using var empty = new FakeHubServer();

        await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() =>
            _context.Client(endpoint: empty.Endpoint).DownloadFileAsync(HubTestContext.RepoId, "vocab.txt"));
    }

    [Fact]
    public async Task MissingRevisionOrFileIsNeverServedFromTheCache()
    {
        await CacheConfigAsync();
        FakeHubRepository repository = _context.Server.AddRepository(HubTestContext.RepoId);
        Dictionary<string, FakeHubFile> withoutConfig = HubTestContext.ModelFiles();
        withoutConfig.Remove("config.json");
        repository.Commit(withoutConfig); // main moves to a commit that has no config.json
        HubClient client = _context.Client();

        await Assert.ThrowsAsync<HubEntryNotFoundException>(() => client.DownloadFileAsync(HubTestContext.RepoId, "config.json"));
        await Assert.ThrowsAsync<HubRevisionNotFoundException>(() => client.DownloadFileAsync(HubTestContext.RepoId, "config.json", "no-such-branch"));
    }

    [Fact]
    public async Task ResolverServesAUsableSnapshotWhenTheHubRefusesTheRepository()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        // What Python's AutoModel.from_pretrained leaves: config and weights, no tokenizer files and no markers for them,
        // so the snapshot is usable but not complete and the resolver asks the Hub.
        foreach (string name in new[] { "tokenizer.json", "tokenizer_config.json", "vocab.txt" })
        {
            File.Delete(Path.Combine(snapshot, name));
        }

        Directory.Delete(Path.Combine(_context.RepoFolder, ".no_exist"), recursive: true);
        using var empty = new FakeHubServer();
        using var gated = new FixedResponseHandler(HttpStatusCode.Forbidden, "GatedRepo");
        using HubClient gatedClient = ClientWith(gated);

        Assert.Equal(snapshot, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(endpoint: empty.Endpoint)));
        Assert.Equal(snapshot, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: gatedClient));
        Assert.True(empty.RequestCount > 0);
        Assert.True(gated.Requests > 0);
    }

    [Fact]
    public async Task ResolverServesACompleteSnapshotWhenUpdateChecksAreRefused()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        using var portal = new FixedResponseHandler(HttpStatusCode.OK, errorCode: null);
        using var client = new HubClient(new HubClientOptions
        {
            Endpoint = "https://hub.example",
            CacheDirectory = _context.CacheDirectory,
            Offline = false,
            Token = "",
            CheckForUpdates = true,
            HttpMessageHandler = portal,
        });

        Assert.Equal(snapshot, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: client));
        Assert.True(portal.Requests > 0);
    }

    [Fact]
    public async Task ResolverWithoutACachedSnapshotKeepsTheSpecificError()
    {
        using var gated = new FixedResponseHandler(HttpStatusCode.Forbidden, "GatedRepo");
        using HubClient gatedClient = ClientWith(gated);

        var error = await Assert.ThrowsAsync<HubRequestException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: gatedClient));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Contains("gated", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers every request with one status (and X-Error-Code when given), without the Hub's headers; no network.</summary>
    private sealed class FixedResponseHandler(HttpStatusCode status, string? errorCode) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            var response = new HttpResponseMessage(status) { RequestMessage = request, Content = new StringContent("<html>sign in</html>") };
            if (errorCode is not null)
            {
                response.Headers.TryAddWithoutValidation("X-Error-Code", errorCode);
            }

            return Task.FromResult(response);
        }
    }
}
