using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>Sharded Hugging Face checkpoints: <c>model.safetensors.index.json</c> plus shard files.</summary>
public sealed class ShardedSafeTensorsTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FolderWithAnIndexOpensEveryTensorAcrossShards()
    {
        WriteTwoShards();
        WriteIndex($"{{\"metadata\":{{\"total_size\":44}},\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"a.bias\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");

        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        var sharded = Assert.IsType<ShardedSafeTensors>(source);
        Assert.Equal(new[] { "a.weight", "a.bias", "b.weight" }, source.Keys);
        Assert.Equal(new[] { _folder.File(Shard1), _folder.File(Shard2) }, sharded.ShardPaths);
        Assert.Equal(_folder.File(Shard2), sharded.GetShardPath("b.weight"));
        Assert.Equal(new long[] { 2, 3 }, source.GetShape("a.weight"));
        Assert.Equal(ScalarType.Float16, source.GetDType("b.weight"));
        using Tensor bias = source.Read("a.bias");
        using Tensor bWeight = source.Read("b.weight", ScalarType.Float32);
        Assert.Equal(new[] { 10f, 11f }, bias.data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f, 3.5f }, bWeight.data<float>().ToArray());
        Assert.False(source.Contains("c.weight"));
        Assert.Throws<KeyNotFoundException>(() => source.Read("c.weight"));
    }

    [Fact]
    public void IndexFileCanBeOpenedDirectly()
    {
        WriteTwoShards();
        string index = WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"a.bias\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");

        using ITensorSource source = CheckpointFiles.Open(index);
        Assert.Equal(index, source.Description);
        Assert.Equal(3, source.Keys.Count);
    }

    [Fact]
    public void ShardsAreOpenedOnlyWhenOneOfTheirTensorsIsNeeded()
    {
        WriteTwoShards();
        WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"a.bias\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");
        File.WriteAllBytes(_folder.File(Shard2), [1, 2, 3]); // Broken, but not needed until b.weight is read.

        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        using Tensor aWeight = source.Read("a.weight");
        Assert.Equal(new long[] { 2, 3 }, aWeight.shape);
        var error = Assert.Throws<SafeTensorsFormatException>(() => source.Read("b.weight"));
        Assert.Equal(SafeTensorsViolation.FileTooShort, error.Violation);
        Assert.Equal(_folder.File(Shard2), error.FilePath);
    }

    [Fact]
    public void MissingShardIsReportedWhenOpening()
    {
        WriteTwoShards();
        File.Delete(_folder.File(Shard2));
        string index = WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");

        var error = Assert.Throws<FileNotFoundException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Equal(_folder.File(Shard2), error.FileName);
        Assert.Contains(index, error.Message);
        Assert.Contains($"'{Shard2}'", error.Message);
        Assert.Contains("'b.weight'", error.Message);
    }

    [Fact]
    public void IndexNamingATensorItsShardLacksIsReported()
    {
        WriteTwoShards();
        string index = WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"b.bias\":\"{Shard2}\",\"b.weight\":\"{Shard2}\"}}}}");

        using var source = (ShardedSafeTensors)CheckpointFiles.Open(_folder.Path);
        var error = Assert.Throws<SafeTensorsFormatException>(() => source.Read("b.weight"));
        Assert.Equal(SafeTensorsViolation.IndexShardMismatch, error.Violation);
        Assert.Equal(index, error.FilePath);
        Assert.Contains($"shard '{Shard2}'", error.Message);
        Assert.Contains("'b.bias'", error.Message);
        Assert.Throws<SafeTensorsFormatException>(() => source.ValidateAllShards());
    }

    [Fact]
    public void ValidateAllShardsOpensEveryShard()
    {
        WriteTwoShards();
        WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");
        File.WriteAllBytes(_folder.File(Shard2), [1, 2, 3]);

        using var source = (ShardedSafeTensors)CheckpointFiles.Open(_folder.Path);
        var error = Assert.Throws<SafeTensorsFormatException>(() => source.ValidateAllShards());
        Assert.Equal(_folder.File(Shard2), error.FilePath);
    }

    [Fact]
    public void TensorsAShardHoldsButTheIndexOmitsAreNotPartOfTheCheckpoint()
    {
        WriteTwoShards();
        WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");

        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        Assert.Equal(new[] { "a.weight", "b.weight" }, source.Keys);
        Assert.False(source.Contains("a.bias"));
    }

    [Theory]
    [InlineData("{\"weight_map\":{\"a.weight\":\"" + Shard1 + "\",\"a.weight\":\"" + Shard2 + "\"}}", "'a.weight' more than once")]
    [InlineData("{\"weight_map\":{\"a.weight\":\"../" + Shard1 + "\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a.weight\":\"/tmp/" + Shard1 + "\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a.weight\":\"\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a.weight\":1}}", "instead of a shard file name")]
    [InlineData("{\"weight_map\":[\"a.weight\"]}", "'weight_map' must be an object")]
    [InlineData("{\"metadata\":{\"total_size\":4}}", "no 'weight_map'")]
    [InlineData("{\"weight_map\":{}, \"weight_map\":{}}", "'weight_map' more than once")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{\"weight_map\":{\"a.weight\":\"x\"}", "not valid JSON")]
    public void MalformedIndexIsRejected(string index, string expected)
    {
        WriteTwoShards();
        string path = WriteIndex(index);

        var error = Assert.Throws<SafeTensorsFormatException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Equal(SafeTensorsViolation.InvalidIndex, error.Violation);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ShardedCheckpointLoadsIntoAModule()
    {
        using var module = nn.Sequential(("a", nn.Linear(3, 2)), ("b", nn.Linear(2, 2, hasBias: false)));
        WriteTwoShards();
        WriteIndex($"{{\"weight_map\":{{\"a.weight\":\"{Shard1}\",\"a.bias\":\"{Shard1}\",\"b.weight\":\"{Shard2}\"}}}}");

        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        WeightLoadResult result = ModuleWeights.Load(module, source);

        Assert.Equal(new[] { "a.bias", "a.weight", "b.weight" }, result.LoadedKeys);
        Dictionary<string, Tensor> state = module.state_dict();
        Assert.Equal(new[] { 10f, 11f }, state["a.bias"].data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f, 3.5f }, state["b.weight"].data<float>().ToArray());
    }

    private void WriteTwoShards()
    {
        using Tensor aWeight = torch.arange(6, ScalarType.Float32).reshape(2, 3);
        using Tensor aBias = torch.tensor(new[] { 10f, 11f });
        using Tensor bWeight = torch.tensor(new[] { 0.5f, 1.5f, 2.5f, 3.5f }).reshape(2, 2).to(ScalarType.Float16);
        SafeTensors.Save(_folder.File(Shard1), new Dictionary<string, Tensor> { ["a.weight"] = aWeight, ["a.bias"] = aBias });
        SafeTensors.Save(_folder.File(Shard2), new Dictionary<string, Tensor> { ["b.weight"] = bWeight });
    }

    private string WriteIndex(string json)
    {
        string path = _folder.File(CheckpointFiles.ShardIndexFileName);
        File.WriteAllText(path, json);
        return path;
    }
}
