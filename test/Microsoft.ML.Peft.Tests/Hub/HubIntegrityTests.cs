using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Downloaded content is checked against the announced SHA-256 (LFS) and size before it enters the cache.</summary>
public sealed class HubIntegrityTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public async Task Sha256MismatchThrowsNamingFileAndHashesAndLeavesNoBlob()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        FakeHubFile honest = files["model.safetensors"];
        string announced = new string('a', 64);
        files["model.safetensors"] = new FakeHubFile(honest.Content, lfs: true) { AdvertisedSha256 = announced };
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubChecksumMismatchException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal("model.safetensors", error.FileName);
        Assert.Equal(HubTestContext.RepoId, error.RepoId);
        Assert.Equal(announced, error.ExpectedSha256);
        Assert.Equal(honest.Sha256, error.ActualSha256);
        Assert.Contains("model.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains(announced, error.Message, StringComparison.Ordinal);
        Assert.Contains(honest.Sha256, error.Message, StringComparison.Ordinal);
        string blobs = Path.Combine(_context.RepoFolder, "blobs");
        Assert.False(File.Exists(Path.Combine(blobs, announced)));
        Assert.False(File.Exists(Path.Combine(blobs, announced + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(blobs, honest.Sha256)));
        Assert.Empty(Directory.GetFileSystemEntries(_context.RepoFolder, "model.safetensors", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PartialFileThatIsNotAPrefixIsCaughtByTheHash()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 8_000);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);
        FakeHubFile weights = files["model.safetensors"];
        string incomplete = Path.Combine(_context.RepoFolder, "blobs", weights.CacheEtag + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        await File.WriteAllBytesAsync(incomplete, new byte[3_000]); // zeros, not the file's first bytes

        var error = await Assert.ThrowsAsync<HubChecksumMismatchException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal(weights.Sha256, error.ExpectedSha256);
        Assert.False(File.Exists(incomplete));

        // Nothing corrupt was left, so the retry downloads the whole file and succeeds.
        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        Assert.Equal(weights.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task MoreBytesThanAnnouncedIsASizeMismatchAndLeavesNoBlob()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 6_000);
        FakeHubFile real = files["model.safetensors"];
        files["model.safetensors"] = new FakeHubFile(real.Content, lfs: true) { AdvertisedSize = 5_000 };
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubSizeMismatchException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal("model.safetensors", error.FileName);
        Assert.Equal(5_000, error.ExpectedBytes);
        Assert.True(error.ActualBytes > 5_000);
        Assert.Empty(Directory.GetFiles(Path.Combine(_context.RepoFolder, "blobs"), real.Sha256 + "*"));
    }

    [Fact]
    public async Task FewerBytesThanAnnouncedIsASizeMismatch()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles(weightsLength: 6_000);
        FakeHubFile real = files["model.safetensors"];
        files["model.safetensors"] = new FakeHubFile(real.Content, lfs: true) { AdvertisedSize = 7_000 };
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubSizeMismatchException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal(7_000, error.ExpectedBytes);
        Assert.Equal(6_000, error.ActualBytes);
        Assert.Empty(Directory.GetFiles(Path.Combine(_context.RepoFolder, "blobs"), real.Sha256 + "*"));
    }
}
