using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.Models.Bert;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>
/// <see cref="BaseModelResolver"/>: local paths first, Hub ids otherwise; which files a model needs; loading the result.
/// </summary>
public sealed class BaseModelResolverTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    /// <summary>A client whose Hub refuses connections: any attempt to use the network would fail the test.</summary>
    private HubClient NoNetwork() => _context.Client(endpoint: HubTestContext.RefusingEndpoint());

    [Fact]
    public async Task ExistingFolderAndFileAreReturnedWithoutTheHub()
    {
        string folder = Path.Combine(_context.Scratch, "my-model");
        Directory.CreateDirectory(folder);
        string weights = Path.Combine(folder, "fine-tuned.safetensors");
        await File.WriteAllBytesAsync(weights, [1, 2, 3]);

        Assert.Equal(folder, await BaseModelResolver.ResolveAsync(folder, hub: NoNetwork()));
        Assert.Equal(weights, await BaseModelResolver.ResolveAsync(weights, hub: NoNetwork()));
        Assert.Equal(0, _context.Server.RequestCount);
    }

    [Fact]
    public async Task ExistingRelativePathWinsOverAHubIdOfTheSameShape()
    {
        // "org/name" is also a relative path; when it exists it is the user's folder, not a download.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_context.Scratch, "org-like", "name-like"));
        Directory.CreateDirectory(relative);

        Assert.Equal(Path.GetFullPath(relative), await BaseModelResolver.ResolveAsync(relative, hub: NoNetwork()));
    }

    [Fact]
    public async Task RevisionWithALocalPathIsRejected()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BaseModelResolver.ResolveAsync(_context.Scratch, "main", NoNetwork()));

        Assert.Contains("local path", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no/such/folder")]
    [InlineData("org/name/extra")]
    [InlineData("org/-name")]
    [InlineData("org--x/name")]
    [InlineData("org/na..me")]
    [InlineData("org/name with space")]
    public async Task TextThatIsNeitherAPathNorAHubIdIsRejected(string text)
    {
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => BaseModelResolver.ResolveAsync(text, hub: NoNetwork()));

        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Contains("Hub model id", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _context.Server.RequestCount);
    }

    [Theory]
    [InlineData("org/name@ v1", null)]
    [InlineData("org/name@v1", "v2")]
    [InlineData("org/name@../x", null)]
    [InlineData("org/name@", null)]
    public async Task UnusableOrConflictingRevisionIsRejected(string text, string? revision)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => BaseModelResolver.ResolveAsync(text, revision, NoNetwork()));
    }

    [Fact]
    public async Task InlineAndSeparateRevisionMayAgree()
    {
        FakeHubRepository repository = _context.Server.AddRepository(HubTestContext.RepoId);
        string commit = repository.Commit(HubTestContext.ModelFiles(), branch: "v1");

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId + "@v1", "v1", _context.Client());

        Assert.Equal(commit, Path.GetFileName(snapshot));
    }

    [Fact]
    public async Task SingleNameHubIdsAreCachedWithoutNamespace()
    {
        string commit = _context.Server.AddRepository("gpt2").Commit(HubTestContext.ModelFiles());

        string snapshot = await BaseModelResolver.ResolveAsync("gpt2", hub: _context.Client());

        Assert.Equal(Path.Combine(_context.CacheDirectory, "models--gpt2", "snapshots", commit), snapshot);
    }

    [Fact]
    public async Task MissingConfigNamesRepositoryRevisionAndFile()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        files.Remove("config.json");
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubEntryNotFoundException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal("config.json", error.FileName);
        Assert.Equal("main", error.Revision);
        Assert.Contains($"'{HubTestContext.RepoId}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'config.json'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'main'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_context.RepoFolder, "refs", "main")));
    }

    [Fact]
    public async Task MissingSafetensorsWeightsExplainWhatIsSupported()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        files.Remove("model.safetensors");
        files["pytorch_model.bin"] = FakeHubFile.LargeFile(100, seed: 4);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubEntryNotFoundException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Contains("model.safetensors.index.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("pytorch_model.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("'main'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShardedCheckpointDownloadsTheIndexAndEveryShard()
    {
        using var scope = NewDisposeScope();
        byte[] firstShard = SafeTensorsBytes(new Dictionary<string, Tensor> { ["a.weight"] = arange(6, dtype: float32).reshape(2, 3) });
        byte[] secondShard = SafeTensorsBytes(new Dictionary<string, Tensor>
        {
            ["b.weight"] = full(4, 7.0f),
            ["c.bias"] = ones(2),
        });
        const string index = """
            {"metadata": {"total_size": 48},
             "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors",
                            "c.bias": "model-00002-of-00002.safetensors"}}
            """;
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        files.Remove("model.safetensors");
        files["model.safetensors.index.json"] = FakeHubFile.Text(index);
        files["model-00001-of-00002.safetensors"] = new FakeHubFile(firstShard, lfs: true);
        files["model-00002-of-00002.safetensors"] = new FakeHubFile(secondShard, lfs: true);
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());

        Assert.Equal(firstShard, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model-00001-of-00002.safetensors")));
        Assert.Equal(secondShard, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model-00002-of-00002.safetensors")));
        Assert.Single(_context.Server.Requests, r => r.Method == "GET" && r.IsFor("model-00002-of-00002.safetensors"));
        using ITensorSource source = CheckpointFiles.Open(snapshot);
        Assert.Equal(["a.weight", "b.weight", "c.bias"], source.Keys.Order(StringComparer.Ordinal));
        using Tensor b = source.Read("b.weight");
        Assert.Equal([7f, 7f, 7f, 7f], b.data<float>().ToArray());

        // Complete in the cache now: a second resolve asks nothing.
        int requests = _context.Server.RequestCount;
        Assert.Equal(snapshot, await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));
        Assert.Equal(requests, _context.Server.RequestCount);
    }

    [Fact]
    public async Task MissingShardIsARequiredFileError()
    {
        Dictionary<string, FakeHubFile> files = HubTestContext.ModelFiles();
        files.Remove("model.safetensors");
        files["model.safetensors.index.json"] = FakeHubFile.Text("""{"weight_map": {"a.weight": "model-00001-of-00001.safetensors"}}""");
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        var error = await Assert.ThrowsAsync<HubEntryNotFoundException>(() => BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client()));

        Assert.Equal("model-00001-of-00001.safetensors", error.FileName);
        Assert.Contains("model.safetensors.index.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadedBertLoadsWithFromPretrained()
    {
        BertConfig config = TinyBert(numLabels: 2);
        using var original = new BertForSequenceClassification(config);
        Randomize(original, seed: 77);
        Dictionary<string, FakeHubFile> files = new()
        {
            ["config.json"] = FakeHubFile.Text(config.ToJson()),
            ["model.safetensors"] = new FakeHubFile(SafeTensorsBytes(StateDict(original)), lfs: true),
        };
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(files);

        string snapshot = await BaseModelResolver.ResolveAsync(HubTestContext.RepoId, hub: _context.Client());
        using var loaded = BertForSequenceClassification.FromPretrained(snapshot);

        Assert.Empty(loaded.LoadResult!.MissingKeys);
        Batch batch = PaddedBatch(padId: 0);
        using var scope = NewDisposeScope();
        original.eval();
        loaded.eval();
        Assert.True(Identical(
            original.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor()),
            loaded.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor())));
    }

    private byte[] SafeTensorsBytes(IReadOnlyDictionary<string, Tensor> tensors)
    {
        string path = Path.Combine(_context.Scratch, Guid.NewGuid().ToString("N") + ".safetensors");
        SafeTensors.Save(path, tensors);
        return File.ReadAllBytes(path);
    }
}
