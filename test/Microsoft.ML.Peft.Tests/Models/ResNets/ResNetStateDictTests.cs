using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>State-dict names, order, dtypes and parameter counts against torchvision, and torchvision's initialization.</summary>
public sealed class ResNetStateDictTests
{
    // torchvision.models.resnet18().state_dict().keys(), in torchvision's order (per module: parameters, then buffers).
    private static readonly string[] TorchvisionResNet18Keys =
    [
        "conv1.weight",
        "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
        "layer1.0.conv1.weight",
        "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var", "layer1.0.bn1.num_batches_tracked",
        "layer1.0.conv2.weight",
        "layer1.0.bn2.weight", "layer1.0.bn2.bias", "layer1.0.bn2.running_mean", "layer1.0.bn2.running_var", "layer1.0.bn2.num_batches_tracked",
        "layer1.1.conv1.weight",
        "layer1.1.bn1.weight", "layer1.1.bn1.bias", "layer1.1.bn1.running_mean", "layer1.1.bn1.running_var", "layer1.1.bn1.num_batches_tracked",
        "layer1.1.conv2.weight",
        "layer1.1.bn2.weight", "layer1.1.bn2.bias", "layer1.1.bn2.running_mean", "layer1.1.bn2.running_var", "layer1.1.bn2.num_batches_tracked",
        "layer2.0.conv1.weight",
        "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.bn1.running_mean", "layer2.0.bn1.running_var", "layer2.0.bn1.num_batches_tracked",
        "layer2.0.conv2.weight",
        "layer2.0.bn2.weight", "layer2.0.bn2.bias", "layer2.0.bn2.running_mean", "layer2.0.bn2.running_var", "layer2.0.bn2.num_batches_tracked",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias", "layer2.0.downsample.1.running_mean", "layer2.0.downsample.1.running_var", "layer2.0.downsample.1.num_batches_tracked",
        "layer2.1.conv1.weight",
        "layer2.1.bn1.weight", "layer2.1.bn1.bias", "layer2.1.bn1.running_mean", "layer2.1.bn1.running_var", "layer2.1.bn1.num_batches_tracked",
        "layer2.1.conv2.weight",
        "layer2.1.bn2.weight", "layer2.1.bn2.bias", "layer2.1.bn2.running_mean", "layer2.1.bn2.running_var", "layer2.1.bn2.num_batches_tracked",
        "layer3.0.conv1.weight",
        "layer3.0.bn1.weight", "layer3.0.bn1.bias", "layer3.0.bn1.running_mean", "layer3.0.bn1.running_var", "layer3.0.bn1.num_batches_tracked",
        "layer3.0.conv2.weight",
        "layer3.0.bn2.weight", "layer3.0.bn2.bias", "layer3.0.bn2.running_mean", "layer3.0.bn2.running_var", "layer3.0.bn2.num_batches_tracked",
        "layer3.0.downsample.0.weight",
        "layer3.0.downsample.1.weight", "layer3.0.downsample.1.bias", "layer3.0.downsample.1.running_mean", "layer3.0.downsample.1.running_var", "layer3.0.downsample.1.num_batches_tracked",
        "layer3.1.conv1.weight",
        "layer3.1.bn1.weight", "layer3.1.bn1.bias", "layer3.1.bn1.running_mean", "layer3.1.bn1.running_var", "layer3.1.bn1.num_batches_tracked",
        "layer3.1.conv2.weight",
        "layer3.1.bn2.weight", "layer3.1.bn2.bias", "layer3.1.bn2.running_mean", "layer3.1.bn2.running_var", "layer3.1.bn2.num_batches_tracked",
        "layer4.0.conv1.weight",
        "layer4.0.bn1.weight", "layer4.0.bn1.bias", "layer4.0.bn1.running_mean", "layer4.0.bn1.running_var", "layer4.0.bn1.num_batches_tracked",
        "layer4.0.conv2.weight",
        "layer4.0.bn2.weight", "layer4.0.bn2.bias", "layer4.0.bn2.running_mean", "layer4.0.bn2.running_var", "layer4.0.bn2.num_batches_tracked",
        "layer4.0.downsample.0.weight",
        "layer4.0.downsample.1.weight", "layer4.0.downsample.1.bias", "layer4.0.downsample.1.running_mean", "layer4.0.downsample.1.running_var", "layer4.0.downsample.1.num_batches_tracked",
        "layer4.1.conv1.weight",
        "layer4.1.bn1.weight", "layer4.1.bn1.bias", "layer4.1.bn1.running_mean", "layer4.1.bn1.running_var", "layer4.1.bn1.num_batches_tracked",
        "layer4.1.conv2.weight",
        "layer4.1.bn2.weight", "layer4.1.bn2.bias", "layer4.1.bn2.running_mean", "layer4.1.bn2.running_var", "layer4.1.bn2.num_batches_tracked",
        "fc.weight", "fc.bias",
    ];

    [Fact]
    public void ResNet18StateDictKeysAreTorchvisions()
    {
        using var model = ResNetModel.ResNet18();
        string[] keys = model.state_dict().Keys.ToArray();

        Assert.Equal(TorchvisionResNet18Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));

        // TorchSharp lists every parameter before every buffer; within each kind the order is torchvision's.
        string[] torchvisionParameters = TorchvisionResNet18Keys.Where(k => !IsBuffer(k)).ToArray();
        string[] torchvisionBuffers = TorchvisionResNet18Keys.Where(IsBuffer).ToArray();
        Assert.Equal(torchvisionParameters, model.named_parameters().Select(p => p.name).ToArray());
        Assert.Equal(torchvisionBuffers, model.named_buffers().Select(b => b.name).ToArray());
        Assert.Equal(torchvisionParameters.Concat(torchvisionBuffers), keys);
        Assert.Equal(62, torchvisionParameters.Length);
    }

    private static bool IsBuffer(string key) =>
        key.EndsWith(".running_mean", StringComparison.Ordinal) ||
        key.EndsWith(".running_var", StringComparison.Ordinal) ||
        key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    [Fact]
    public void ResNet18StateDictShapesAndDtypesAreTorchvisions()
    {
        using var model = ResNetModel.ResNet18();
        Dictionary<string, Tensor> state = model.state_dict();
        Assert.Equal([64L, 3, 7, 7], state["conv1.weight"].shape);
        Assert.Equal([128L, 64, 3, 3], state["layer2.0.conv1.weight"].shape);
        Assert.Equal([128L, 128, 3, 3], state["layer2.0.conv2.weight"].shape);
        Assert.Equal([128L, 64, 1, 1], state["layer2.0.downsample.0.weight"].shape);
        Assert.Equal([1000L, 512], state["fc.weight"].shape);
        Assert.Equal([1000L], state["fc.bias"].shape);
        Assert.Empty(state["bn1.num_batches_tracked"].shape);
        Assert.Equal(ScalarType.Int64, state["bn1.num_batches_tracked"].dtype);
        Assert.Equal(ScalarType.Float32, state["layer4.1.bn2.running_var"].dtype);
    }

    [Fact]
    public void ResNet50StateDictFollowsTorchvisionBottleneckLayout()
    {
        using var model = ResNetModel.ResNet50();
        Dictionary<string, Tensor> state = model.state_dict();

        Assert.Equal(320, state.Count);
        // layer1 widens 64 → 256 at stride 1, so torchvision gives it a projection; later blocks have none.
        Assert.Equal([256L, 64, 1, 1], state["layer1.0.downsample.0.weight"].shape);
        Assert.False(state.ContainsKey("layer1.1.downsample.0.weight"));
        // v1.5: the stride sits on the 3×3 conv2; conv1 and conv3 are 1×1.
        Assert.Equal([128L, 256, 1, 1], state["layer2.0.conv1.weight"].shape);
        Assert.Equal([128L, 128, 3, 3], state["layer2.0.conv2.weight"].shape);
        Assert.Equal([512L, 128, 1, 1], state["layer2.0.conv3.weight"].shape);
        Assert.True(state.ContainsKey("layer3.5.bn3.num_batches_tracked"));
        Assert.False(state.ContainsKey("layer3.6.conv1.weight"));
        Assert.Equal([1000L, 2048], state["fc.weight"].shape);
    }

    [Fact]
    public void StridesHalveTheResolutionLikeTorchvision()
    {
        using var model = ResNetModel.ResNet18(numClasses: 3);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor x = torch.zeros(1, 3, 64, 64);
        Assert.Equal([1L, 3], model.forward(x).shape);
        Assert.Equal([1L, 512], model.ForwardFeatures(x).shape);
        Tensor afterStage1 = model.Stages[0].forward(torch.zeros(1, 64, 16, 16));
        Assert.Equal([1L, 64, 16, 16], afterStage1.shape);
        Assert.Equal([1L, 128, 8, 8], model.Stages[1].forward(afterStage1).shape);
    }

    public static TheoryData<string, long> ParameterCounts => new()
    {
        // torchvision's documented "num_params".
        { "resnet18", 11_689_512 },
        { "resnet34", 21_797_672 },
        { "resnet50", 25_557_032 },
        { "resnext50_32x4d", 25_028_904 },
        { "wide_resnet50_2", 68_883_240 },
    };

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ParameterCountMatchesTorchvision(string name, long expected)
    {
        ResNetConfig config = name switch
        {
            "resnet18" => ResNetConfig.ResNet18(),
            "resnet34" => ResNetConfig.ResNet34(),
            "resnet50" => ResNetConfig.ResNet50(),
            "resnext50_32x4d" => ResNetConfig.ResNeXt50_32x4d(),
            "wide_resnet50_2" => ResNetConfig.WideResNet50_2(),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };

        using var model = new ResNetModel(config);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void DeeperPresetsHaveTorchvisionsBlockCounts()
    {
        Assert.Equal([3, 4, 23, 3], ResNetConfig.ResNet101().BlocksPerStage);
        Assert.Equal([3, 8, 36, 3], ResNetConfig.ResNet152().BlocksPerStage);
        Assert.Equal(ResNetBlockType.Bottleneck, ResNetConfig.ResNet152().BlockType);
        Assert.Equal(2048, ResNetConfig.ResNet101().FeatureCount);
    }

    [Fact]
    public void InitializationIsTorchvisions()
    {
        using var model = ResNetModel.ResNet18();
        Dictionary<string, Tensor> state = model.state_dict();

        // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (out_channels · kh · kw)).
        Tensor conv = state["layer4.0.conv2.weight"];
        double std = conv.std().item<float>();
        double expectedStd = Math.Sqrt(2.0 / (512 * 3 * 3));
        Assert.InRange(std, 0.98 * expectedStd, 1.02 * expectedStd);
        Assert.InRange(conv.mean().item<float>(), -0.02 * expectedStd, 0.02 * expectedStd);

        foreach (BatchNorm2d norm in model.modules().OfType<BatchNorm2d>())
        {
            Assert.True(norm.weight.eq(1).all().item<bool>());
            Assert.True(norm.bias!.eq(0).all().item<bool>());
            Assert.True(norm.running_mean!.eq(0).all().item<bool>());
            Assert.True(norm.running_var!.eq(1).all().item<bool>());
            Assert.Equal(1e-5, norm.eps);
            Assert.Equal(0.1, norm.momentum);
        }
    }

    [Theory]
    [InlineData(ResNetBlockType.Basic, "bn2")]
    [InlineData(ResNetBlockType.Bottleneck, "bn3")]
    public void ZeroInitResidualZeroesTheLastNormOfEveryBlock(ResNetBlockType blockType, string lastNorm)
    {
        var config = new ResNetConfig { BlockType = blockType, StemWidth = 4, StageWidths = [4, 8], BlocksPerStage = [2, 1], NumClasses = 2 };
        using var model = new ResNetModel(config, zeroInitResidual: true);

        var weights = model.state_dict().Where(kv => kv.Key.StartsWith("layer", StringComparison.Ordinal) && kv.Key.Contains(".bn") && kv.Key.EndsWith(".weight", StringComparison.Ordinal));
        int zeroed = 0;
        foreach (var (key, weight) in weights)
        {
            bool last = key.EndsWith($".{lastNorm}.weight", StringComparison.Ordinal);
            Assert.True(weight.eq(last ? 0 : 1).all().item<bool>(), key);
            zeroed += last ? 1 : 0;
        }

        Assert.Equal(3, zeroed);
        Assert.True(model.state_dict()["layer2.0.downsample.1.weight"].eq(1).all().item<bool>());
    }

    [Fact]
    public void BasicBlocksRejectGroupsLikeTorchvision()
    {
        var config = ResNetConfig.ResNet18() with { Groups = 2 };
        var error = Assert.Throws<ArgumentException>(() => new ResNetModel(config));
        Assert.Contains("Groups = 2", error.Message);
    }

    [Fact]
    public void ConfigCopiesTheListsItIsGiven()
    {
        int[] widths = [4, 8];
        var config = new ResNetConfig { StageWidths = widths, BlocksPerStage = [1, 1] };
        widths[0] = 99;
        Assert.Equal([4, 8], config.StageWidths);
        Assert.Equal(config, config with { StageWidths = [4, 8] });
        Assert.NotEqual(config, config with { StageWidths = [4, 16] });
    }

    [Fact]
    public void MismatchedStageListsAreRejected()
    {
        var config = new ResNetConfig { StageWidths = [8, 16], BlocksPerStage = [1, 1, 1] };
        var error = Assert.Throws<ArgumentException>(() => new ResNetModel(config));
        Assert.Contains("BlocksPerStage has 3 entries but StageWidths has 2", error.Message);
    }
}
