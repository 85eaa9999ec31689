using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>A checkpoint that does not fit leaves the module exactly as it was.</summary>
public sealed class ModuleWeightsAtomicityTests
{
    [Fact]
    public void ShapeMismatchLeavesEveryParameterUntouched()
    {
        using var module = nn.Sequential(("a", nn.Linear(3, 2)), ("b", nn.Linear(2, 4)));
        var before = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var aWeight = torch.full(2, 3, 7f);
        using var aBias = torch.full(2, 7f);
        using var bWeight = torch.full(5, 2, 7f); // wrong: b.weight is [4, 2]
        using var bBias = torch.full(4, 7f);
        using var source = new InMemoryTensorSource(new Dictionary<string, Tensor>
        {
            ["a.weight"] = aWeight, ["a.bias"] = aBias, ["b.weight"] = bWeight, ["b.bias"] = bBias,
        });

        var error = Assert.Throws<WeightLoadException>(() => ModuleWeights.Load(module, source));
        Assert.Contains("'b.weight'", error.Message);
        Assert.Contains("[5, 2]", error.Message);
        Assert.Contains("[4, 2]", error.Message);
        foreach ((string key, Tensor value) in module.state_dict())
        {
            Assert.True(value.eq(before[key]).all().item<bool>(), $"{key} changed although the load failed.");
        }
    }
}
