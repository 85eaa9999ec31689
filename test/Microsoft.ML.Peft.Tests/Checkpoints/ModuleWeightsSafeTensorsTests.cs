using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary><see cref="ModuleWeights.Load"/> from safetensors files into small TorchSharp modules.</summary>
public sealed class ModuleWeightsSafeTensorsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void LinearLoadsExactlyFromItsOwnSavedState()
    {
        using var saved = nn.Linear(4, 3);
        using var fresh = nn.Linear(4, 3);
        string path = _folder.File("linear.safetensors");
        SafeTensors.Save(path, saved.state_dict());

        using ITensorSource source = CheckpointFiles.Open(path);
        WeightLoadResult result = ModuleWeights.Load(fresh, source);

        Assert.Equal(new[] { "bias", "weight" }, result.LoadedKeys);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.True(fresh.weight!.Equals(saved.weight!));
        Assert.True(fresh.bias!.Equals(saved.bias!));
    }

    [Fact]
    public void BFloat16CheckpointLoadsIntoAFloat32Sequential()
    {
        using var saved = Sequential();
        using var fresh = Sequential();
        string path = _folder.File("bf16.safetensors");
        Dictionary<string, Tensor> bf16 = saved.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.BFloat16));
        try
        {
            SafeTensors.Save(path, bf16);
            using ITensorSource source = CheckpointFiles.Open(path);
            Assert.All(source.Keys, key => Assert.Equal(ScalarType.BFloat16, source.GetDType(key)));

            ModuleWeights.Load(fresh, source);

            foreach ((string key, Tensor parameter) in fresh.state_dict())
            {
                Assert.Equal(ScalarType.Float32, parameter.dtype);
                using Tensor expected = bf16[key].to(ScalarType.Float32);
                Assert.True(parameter.Equals(expected), $"{key} differs from the bfloat16 checkpoint.");
            }
        }
        finally
        {
            foreach (Tensor t in bf16.Values)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void Float32CheckpointLoadsIntoAHalfPrecisionModule()
    {
        using var saved = nn.Linear(3, 2);
        using var fresh = nn.Linear(3, 2);
        fresh.to(ScalarType.Float16);
        string path = _folder.File("f32.safetensors");
        SafeTensors.Save(path, saved.state_dict());

        using ITensorSource source = CheckpointFiles.Open(path);
        ModuleWeights.Load(fresh, source);

        Assert.Equal(ScalarType.Float16, fresh.weight!.dtype);
        using Tensor expected = saved.weight!.to(ScalarType.Float16);
        Assert.True(fresh.weight.Equals(expected));
    }

    [Fact]
    public void MissingAndUnexpectedKeysAreReportedWhenNotStrict()
    {
        using var first = nn.Linear(3, 4);
        using Tensor extra = torch.ones(5);
        string path = _folder.File("partial.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["0.weight"] = first.weight!,
            ["0.bias"] = first.bias!,
            ["head.extra"] = extra,
        });
        using var module = Sequential();

        using ITensorSource source = CheckpointFiles.Open(path);
        WeightLoadResult result = ModuleWeights.Load(module, source, new WeightLoadOptions { Strict = false });

        Assert.Equal(new[] { "0.bias", "0.weight" }, result.LoadedKeys);
        Assert.Equal(new[] { "2.bias", "2.weight" }, result.MissingKeys);
        Assert.Equal(new[] { "head.extra" }, result.UnexpectedKeys);
        Assert.True(module.state_dict()["0.weight"].Equals(first.weight!));
    }

    [Fact]
    public void StrictLoadFailsNamingTheMissingAndUnexpectedKeys()
    {
        using Tensor stray = torch.ones(2);
        string path = _folder.File("stray.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["stray"] = stray });
        using var module = nn.Linear(2, 2);

        using ITensorSource source = CheckpointFiles.Open(path);
        var error = Assert.Throws<WeightLoadException>(() => ModuleWeights.Load(module, source));
        Assert.Contains(path, error.Message);
        Assert.Contains("missing keys [bias, weight]", error.Message);
        Assert.Contains("unexpected keys [stray]", error.Message);
    }

    [Fact]
    public void ShapeMismatchNamesTheTensorAndBothShapes()
    {
        using var saved = nn.Linear(3, 2);
        string path = _folder.File("shape.safetensors");
        SafeTensors.Save(path, saved.state_dict());
        using var module = nn.Linear(4, 2);

        using ITensorSource source = CheckpointFiles.Open(path);
        var error = Assert.Throws<WeightLoadException>(() => ModuleWeights.Load(module, source));
        Assert.Contains(path, error.Message);
        Assert.Contains("tensor 'weight' has shape [2, 3] but module key 'weight' expects [2, 4]", error.Message);
    }

    [Fact]
    public void MapKeyRenamesCheckpointKeys()
    {
        using var saved = nn.Linear(2, 2);
        string path = _folder.File("prefixed.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["encoder.weight"] = saved.weight!, ["encoder.bias"] = saved.bias! });
        using var module = nn.Linear(2, 2);

        using ITensorSource source = CheckpointFiles.Open(path);
        ModuleWeights.Load(module, source, new WeightLoadOptions { MapKey = key => key["encoder.".Length..] });

        Assert.True(module.weight!.Equals(saved.weight!));
    }

    private static nn.Module<Tensor, Tensor> Sequential() => nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2));
}
