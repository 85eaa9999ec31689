using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>
/// A snapshot link whose blob is gone (a pruned <c>blobs/</c> folder, a partial copy of the cache) is not a cached
/// file: it is downloaded again and re-linked, and offline look-ups report it as not cached, as in huggingface_hub,
/// whose <c>os.path.exists</c> is false for a dangling link.
/// </summary>
public sealed class HubBrokenLinkTests : IDisposable
{
    private readonly HubTestContext _context = new();
    private readonly Dictionary<string, FakeHubFile> _files = HubTestContext.ModelFiles();

    public HubBrokenLinkTests() => Commit = _context.Server.AddRepository(HubTestContext.RepoId).Commit(_files);

    private string Commit { get; }

    public void Dispose() => _context.Dispose();

    /// <summary>Deletes the blob behind a snapshot link; false where the cache holds copies instead of links.</summary>
    private bool BreakLink(string pointer, string fileName)
    {
        if (new FileInfo(pointer).LinkTarget is null)
        {
            return false;
        }

        File.Delete(Path.Combine(_context.RepoFolder, "blobs", _files[fileName].CacheEtag));
        return true;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DownloadFileRedownloadsABlobThatIsGone(bool pinned)
    {
        HubClient client = _context.Client();
        string? revision = pinned ? Commit : null;
        string pointer = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors", revision);
        if (!BreakLink(pointer, "model.safetensors"))
        {
            return;
        }

        string again = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors", revision);

        Assert.Equal(pointer, again);
        Assert.Equal(_files["model.safetensors"].Content, File.ReadAllBytes(again));
        Assert.Equal(Path.Combine("..", "..", "blobs", _files["model.safetensors"].CacheEtag), new FileInfo(again).LinkTarget);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResolverRedownloadsWeightsWhoseBlobIsGone(bool checkForUpdates)
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        if (!BreakLink(Path.Combine(snapshot, "model.safetensors"), "model.safetensors"))
        {
            return;
        }

        string again = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(checkForUpdates: checkForUpdates));

        Assert.Equal(snapshot, again);
        Assert.Equal(_files["model.safetensors"].Content, File.ReadAllBytes(Path.Combine(again, "model.safetensors")));
    }

    [Fact]
    public async Task ResolverRedownloadsATokenizerFileWhoseBlobIsGone()
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        if (!BreakLink(Path.Combine(snapshot, "vocab.txt"), "vocab.txt"))
        {
            return;
        }

        await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        Assert.Equal(_files["vocab.txt"].Content, File.ReadAllBytes(Path.Combine(snapshot, "vocab.txt")));
    }

    [Fact]
    public async Task OfflineLookupsTreatABrokenLinkAsNotCached()
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        if (!BreakLink(Path.Combine(snapshot, "model.safetensors"), "model.safetensors"))
        {
            return;
        }

        HubClient offline = _context.Client(offline: true);

        Assert.Null(offline.Cache.TryGetCachedFile(HubTestContext.RepoId, "model.safetensors"));
        Assert.NotNull(offline.Cache.TryGetCachedFile(HubTestContext.RepoId, "config.json"));
        await Assert.ThrowsAsync<HubOfflineException>(() => offline.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors"));
        await Assert.ThrowsAsync<HubOfflineException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: offline));
    }

    [Fact]
    public async Task UnreachableHubDoesNotServeABrokenLink()
    {
        HubClient client = _context.Client();
        string pointer = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors");
        if (!BreakLink(pointer, "model.safetensors"))
        {
            return;
        }

        HubClient unreachable = _context.Client(endpoint: HubTestContext.RefusingEndpoint());

        var error = await Assert.ThrowsAsync<HubOfflineException>(() => unreachable.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors"));
        Assert.Contains("not in the cache", error.Message, StringComparison.Ordinal);
    }
}
