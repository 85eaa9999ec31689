using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>Architecture inference from checkpoint keys and shapes, and clear errors for checkpoints that are not ResNets.</summary>
public sealed class ResNetFromPretrainedTests
{
    public static TheoryData<string> CustomArchitectures => new()
    {
        "narrow-basic", "three-stage-basic", "narrow-bottleneck", "grouped-bottleneck", "wide-bottleneck", "explicit-bottleneck-widths",
    };

    [Theory]
    [MemberData(nameof(CustomArchitectures))]
    public void InfersTheArchitectureAndLoadsEveryTensor(string architecture)
    {
        ResNetConfig config = Custom(architecture);
        using var original = new ResNetModel(config);
        ResNetTestWeights.Randomize(original, seed: 5);
        using var source = new InMemoryTensorSource(original.state_dict(), "original");

        using ResNetModel loaded = ResNetModel.FromPretrained(source);

        Assert.Equal(config, loaded.Config);
        Dictionary<string, Tensor> expected = original.state_dict();
        Dictionary<string, Tensor> actual = loaded.state_dict();
        Assert.Equal(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach (var (key, tensor) in expected)
        {
            Assert.True(ResNetTestWeights.SameValues(tensor, actual[key]), $"{key} differs after loading.");
        }

        original.eval();
        loaded.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor images = torch.tensor(ResNetTestWeights.Input([2, config.InChannels, 24, 24], seed: 6), [2, config.InChannels, 24, 24]);
        Assert.True(ResNetTestWeights.SameValues(original.forward(images), loaded.forward(images)));
    }

    [Fact]
    public void InfersTorchvisionPresets()
    {
        foreach (ResNetConfig config in new[] { ResNetConfig.ResNet18(10), ResNetConfig.ResNet50(), ResNetConfig.ResNeXt50_32x4d() })
        {
            using var model = new ResNetModel(config);
            using var source = new InMemoryTensorSource(model.state_dict());
            Assert.Equal(config, ResNetModel.InferConfig(source));
        }
    }

    [Fact]
    public void AcceptsDataParallelPrefix()
    {
        ResNetConfig config = Custom("narrow-basic");
        using var original = new ResNetModel(config);
        ResNetTestWeights.Randomize(original, seed: 8);
        var prefixed = original.state_dict().ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        using var source = new InMemoryTensorSource(prefixed);

        using ResNetModel loaded = ResNetModel.FromPretrained(source);

        Assert.Equal(config, loaded.Config);
        Assert.True(ResNetTestWeights.SameValues(original.state_dict()["layer2.0.downsample.1.running_var"], loaded.state_dict()["layer2.0.downsample.1.running_var"]));
    }

    [Fact]
    public void CheckpointWithoutBatchCountersLoadsLikeInPyTorch()
    {
        // Checkpoints saved before PyTorch 0.4.1 (such as the original torchvision weights) have no num_batches_tracked.
        using var original = new ResNetModel(Custom("narrow-bottleneck"));
        ResNetTestWeights.Randomize(original, seed: 9);
        var legacy = original.state_dict().Where(kv => !kv.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToDictionary();
        using var source = new InMemoryTensorSource(legacy, "legacy");

        using ResNetModel loaded = ResNetModel.FromPretrained(source);

        Dictionary<string, Tensor> state = loaded.state_dict();
        Assert.True(ResNetTestWeights.SameValues(original.state_dict()["layer3.1.bn2.running_mean"], state["layer3.1.bn2.running_mean"]));
        Assert.All(state.Where(kv => kv.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)), kv => Assert.Equal(0L, kv.Value.item<long>()));
    }

    [Fact]
    public void HuggingFaceTransformersNamingGetsAHint()
    {
        using var stem = torch.zeros(8, 3, 7, 7);
        var transformers = new Dictionary<string, Tensor> { ["resnet.embedder.embedder.convolution.weight"] = stem };
        using var source = new InMemoryTensorSource(transformers, "microsoft-resnet");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("'conv1.weight'", error.Message);
        Assert.Contains("Hugging Face transformers ResNetModel", error.Message);
    }

    [Fact]
    public void NonResNetCheckpointIsReportedByTheMissingKey()
    {
        using var word = torch.zeros(10, 4);
        using var norm = torch.ones(4);
        var bertLike = new Dictionary<string, Tensor>
        {
            ["embeddings.word_embeddings.weight"] = word,
            ["embeddings.LayerNorm.weight"] = norm,
        };
        using var source = new InMemoryTensorSource(bertLike, "bert.safetensors");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("bert.safetensors is not a torchvision-style ResNet checkpoint", error.Message);
        Assert.Contains("'conv1.weight'", error.Message);
        Assert.Contains("embeddings.word_embeddings.weight", error.Message);
    }

    [Fact]
    public void CheckpointWithoutStagesIsReportedByTheMissingKey()
    {
        using var stem = torch.zeros(8, 3, 7, 7);
        using var head = torch.zeros(2, 8);
        var stemOnly = new Dictionary<string, Tensor> { ["conv1.weight"] = stem, ["fc.weight"] = head };
        using var source = new InMemoryTensorSource(stemOnly, "stem-only");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("'layer1.0.conv1.weight'", error.Message);
    }

    [Fact]
    public void MissingBufferIsNamed()
    {
        using var original = new ResNetModel(Custom("narrow-basic"));
        var state = original.state_dict();
        state.Remove("layer2.0.bn1.running_var");
        using var source = new InMemoryTensorSource(state, "pruned");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("layer2.0.bn1.running_var", error.Message);
    }

    [Fact]
    public void HeadThatDoesNotFitTheBackboneIsNamed()
    {
        using var original = new ResNetModel(Custom("narrow-basic"));
        var state = original.state_dict();
        using var wrongHead = torch.zeros(3, 99);
        state["fc.weight"] = wrongHead;
        using var source = new InMemoryTensorSource(state, "bad-head");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("'fc.weight' takes 99 features but 'layer4' outputs 16 channels", error.Message);
    }

    [Fact]
    public void MixedBlockTypesAreRejected()
    {
        using var original = new ResNetModel(Custom("narrow-bottleneck"));
        var state = original.state_dict().Where(kv => !kv.Key.StartsWith("layer2.0.conv3.", StringComparison.Ordinal)).ToDictionary();
        using var source = new InMemoryTensorSource(state, "mixed");

        var error = Assert.Throws<WeightLoadException>(() => ResNetModel.FromPretrained(source));

        Assert.Contains("'layer2.0'", error.Message);
    }

    internal static ResNetConfig Custom(string architecture) => architecture switch
    {
        "narrow-basic" => new ResNetConfig { StemWidth = 6, StageWidths = [4, 8, 12, 16], BlocksPerStage = [1, 2, 1, 1], NumClasses = 7 },
        "three-stage-basic" => new ResNetConfig { StemWidth = 4, StageWidths = [4, 6, 10], BlocksPerStage = [2, 1, 3], NumClasses = 3, InChannels = 1 },
        "narrow-bottleneck" => new ResNetConfig
        {
            BlockType = ResNetBlockType.Bottleneck, StemWidth = 8, StageWidths = [4, 8, 8, 16], BlocksPerStage = [1, 1, 2, 1], NumClasses = 4,
        },
        "grouped-bottleneck" => new ResNetConfig
        {
            BlockType = ResNetBlockType.Bottleneck, StemWidth = 8, StageWidths = [4, 8, 8, 8], BlocksPerStage = [1, 1, 1, 1], NumClasses = 4,
            Groups = 2, WidthPerGroup = 32,
        },
        "wide-bottleneck" => new ResNetConfig
        {
            BlockType = ResNetBlockType.Bottleneck, StemWidth = 4, StageWidths = [4, 8, 8, 8], BlocksPerStage = [1, 1, 1, 1], NumClasses = 4,
            WidthPerGroup = 128,
        },
        "explicit-bottleneck-widths" => new ResNetConfig
        {
            BlockType = ResNetBlockType.Bottleneck, StemWidth = 8, StageWidths = [4, 8, 8, 8], BlocksPerStage = [1, 1, 1, 1], NumClasses = 4,
            BottleneckWidths = [3, 5, 6, 7],
        },
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, null),
    };
}
