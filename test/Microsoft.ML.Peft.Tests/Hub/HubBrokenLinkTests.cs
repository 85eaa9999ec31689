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

    /// <summary>Deletes the blob behind a snapshot link; skips the test where the cache holds copies instead of links.</summary>
    private void BreakLink(string pointer, string fileName)
    {
        Skip.If(new FileInfo(pointer).LinkTarget is null, $"{pointer} is a copy, not a link (no symbolic links here), so there is no link to break.");
        File.Delete(Path.Combine(_context.RepoFolder, "blobs", _files[fileName].CacheEtag));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DownloadFileRedownloadsABlobThatIsGone(bool pinned)
    {
        HubClient client = _context.Client();
        string? revision = pinned ? Commit : null;
        string pointer = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors", revision);
        BreakLink(pointer, "model.safetensors");

        string again = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors", revision);

        Assert.Equal(pointer, again);
        Assert.Equal(_files["model.safetensors"].Content, File.ReadAllBytes(again));
        Assert.Equal(Path.Combine("..", "..", "blobs", _files["model.safetensors"].CacheEtag), new FileInfo(again).LinkTarget);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResolverRedownloadsWeightsWhoseBlobIsGone(bool checkForUpdates)
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        BreakLink(Path.Combine(snapshot, "model.safetensors"), "model.safetensors");

        string again = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client(checkForUpdates: checkForUpdates));

        Assert.Equal(snapshot, again);
        Assert.Equal(_files["model.safetensors"].Content, File.ReadAllBytes(Path.Combine(again, "model.safetensors")));
    }

    [SkippableFact]
    public async Task ResolverRedownloadsATokenizerFileWhoseBlobIsGone()
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        BreakLink(Path.Combine(snapshot, "vocab.txt"), "vocab.txt");

        await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        Assert.Equal(_files["vocab.txt"].Content, File.ReadAllBytes(Path.Combine(snapshot, "vocab.txt")));
    }

    [SkippableFact]
    public async Task OfflineLookupsTreatABrokenLinkAsNotCached()
    {
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        BreakLink(Path.Combine(snapshot, "model.safetensors"), "model.safetensors");

        HubClient offline = _context.Client(offline: true);

        Assert.Null(offline.Cache.TryGetCachedFile(HubTestContext.RepoId, "model.safetensors"));
        Assert.NotNull(offline.Cache.TryGetCachedFile(HubTestContext.RepoId, "config.json"));
        await Assert.ThrowsAsync<HubOfflineException>(() => offline.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors"));
        await Assert.ThrowsAsync<HubOfflineException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: offline));
    }

    [SkippableFact]
    public async Task UnreachableHubDoesNotServeABrokenLink()
    {
        HubClient client = _context.Client();
        string pointer = await client.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors");
        BreakLink(pointer, "model.safetensors");

        HubClient unreachable = _context.Client(endpoint: HubTestContext.RefusingEndpoint());

        var error = await Assert.ThrowsAsync<HubOfflineException>(() => unreachable.DownloadFileAsync(HubTestContext.RepoId, "model.safetensors"));
        Assert.Contains("not in the cache", error.Message, StringComparison.Ordinal);
    }
}
