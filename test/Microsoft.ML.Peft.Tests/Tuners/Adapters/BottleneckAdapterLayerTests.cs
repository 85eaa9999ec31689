using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Tuners.Adapters;

/// <summary>Bottleneck adapters against their formulas: widths, non-linearities, sequential versus parallel, convolutions.</summary>
public sealed class BottleneckAdapterLayerTests
{
    private const string Ffn0 = "bert.encoder.layer.0.output.dense";

    public static TheoryData<AdapterNonLinearity> NonLinearities => new()
    {
        AdapterNonLinearity.Relu, AdapterNonLinearity.Gelu, AdapterNonLinearity.Swish, AdapterNonLinearity.Tanh,
    };

    [Theory]
    [MemberData(nameof(NonLinearities))]
    public void SequentialAdapterAddsUpOfActivationOfDownOfTheOutput(AdapterNonLinearity nonLinearity)
    {
        torch.manual_seed(31);
        using var peft = PeftModel.Create(new TinyBert(hidden: 16, intermediate: 24), new BottleneckAdapterConfig
        {
            Variant = BottleneckVariant.Pfeiffer,
            TargetModules = ["output.dense"],
            ReductionFactor = 4,
            NonLinearity = nonLinearity,
            Scaling = 0.5,
            InitAdapterWeights = false,
        });
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers[Ffn0];
        Assert.Equal(4, layer.BottleneckSize("default"));
        var down = (Linear)layer.Down("default");
        var up = (Linear)layer.Up("default");
        Assert.Equal([4L, 16L], down.weight!.shape);
        Assert.Equal([16L, 4L], up.weight!.shape);

        using var noGrad = no_grad();
        using Tensor x = randn(3, 2, 24);
        var dense = (Linear)layer.BaseLayer;
        using Tensor h = x.matmul(dense.weight!.t()) + dense.bias!;
        using Tensor z = h.matmul(down.weight!.t()) + down.bias!;
        using Tensor expected = h + 0.5 * (Activation(z, nonLinearity).matmul(up.weight!.t()) + up.bias!);
        using Tensor actual = layer.forward(x);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    [Fact]
    public void ParallelAdapterReadsTheInputAndAddsItsScaledOutput()
    {
        torch.manual_seed(32);
        using var peft = PeftModel.Create(new TinyBert(hidden: 16, intermediate: 24), new BottleneckAdapterConfig
        {
            Variant = BottleneckVariant.Parallel,
            TargetModules = ["output.dense"],
            InitAdapterWeights = false,
        });
        var config = (BottleneckAdapterConfig)peft.ActivePeftConfig;
        Assert.Equal((2, AdapterNonLinearity.Relu, 4.0), (config.ReductionFactor, config.NonLinearity, config.Scaling));
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers[Ffn0];
        var down = (Linear)layer.Down("default");
        var up = (Linear)layer.Up("default");

        // The bottleneck is the output width over the reduction factor; the down-projection reads the input width.
        Assert.Equal([8L, 24L], down.weight!.shape);
        Assert.Equal([16L, 8L], up.weight!.shape);

        using var noGrad = no_grad();
        using Tensor x = randn(3, 24);
        var dense = (Linear)layer.BaseLayer;
        using Tensor expected = x.matmul(dense.weight!.t()) + dense.bias! +
                                4.0 * (nn.functional.relu(x.matmul(down.weight!.t()) + down.bias!).matmul(up.weight!.t()) + up.bias!);
        using Tensor actual = layer.forward(x);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResidualBlockAdapterUsesPointwiseConvolutions(bool parallel)
    {
        torch.manual_seed(33);
        var resnet = new ResNetModel(new ResNetConfig { BlockType = ResNetBlockType.Basic, BlocksPerStage = [1, 1], StageWidths = [8, 16], StemWidth = 8, NumClasses = 3 });
        resnet.eval();
        using var peft = PeftModel.Create(resnet, new BottleneckAdapterConfig
        {
            Variant = parallel ? BottleneckVariant.Parallel : BottleneckVariant.Houlsby,
            ReductionFactor = 4,
            NonLinearity = AdapterNonLinearity.Relu,
            Scaling = 1.0,
            InitAdapterWeights = false,
        });
        var layers = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers;
        Assert.Equal(["layer1.0", "layer2.0"], layers.Keys.Order(StringComparer.Ordinal));

        // layer2.0 goes from 8 to 16 channels with stride 2: the parallel down-projection reads 8 channels with stride 2.
        BottleneckAdapterLayer layer = layers["layer2.0"];
        var down = (Conv2d)layer.Down("default");
        var up = (Conv2d)layer.Up("default");
        Assert.Equal(parallel ? [4L, 8L, 1L, 1L] : [4L, 16L, 1L, 1L], down.weight!.shape);
        Assert.Equal([16L, 4L, 1L, 1L], up.weight!.shape);
        Assert.Equal(parallel ? 2L : 1L, down.stride[0]);

        using var noGrad = no_grad();
        using Tensor x = randn(2, 8, 8, 8);
        using Tensor block = layer.BaseLayer.forward(x);
        using Tensor source = parallel ? x.alias() : block.alias();
        using Tensor z = nn.functional.conv2d(source, down.weight!, down.bias, strides: [parallel ? 2 : 1, parallel ? 2 : 1]);
        using Tensor expected = block + nn.functional.conv2d(nn.functional.relu(z), up.weight!, up.bias);
        using Tensor actual = layer.forward(x);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    [Fact]
    public void ParallelAdapterOnAConvolutionCopiesItsKernelStrideAndPadding()
    {
        torch.manual_seed(34);
        using var peft = PeftModel.Create(new TinyConvNet(), new BottleneckAdapterConfig
        {
            Variant = BottleneckVariant.Parallel,
            TargetModules = ["features.2"],
            InitAdapterWeights = false,
        });
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers["features.2"];
        var down = (Conv2d)layer.Down("default");
        Assert.Equal([4L, 6L, 3L, 3L], down.weight!.shape);

        using var noGrad = no_grad();
        using Tensor x = randn(2, 6, 9, 9);
        using Tensor baseOut = layer.BaseLayer.forward(x);
        using Tensor z = nn.functional.conv2d(x, down.weight!, down.bias, strides: [2, 2], padding: [2, 2], dilation: [2, 2]);
        var up = (Conv2d)layer.Up("default");
        using Tensor expected = baseOut + 4.0 * nn.functional.conv2d(nn.functional.relu(z), up.weight!, up.bias);
        using Tensor actual = layer.forward(x);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    [Fact]
    public void AReductionFactorLargerThanTheWidthLeavesABottleneckOfOneAsAdapterHub()
    {
        using var peft = PeftModel.Create(new TinyBert(hidden: 16), new BottleneckAdapterConfig { TargetModules = ["output.dense"], ReductionFactor = 32 });
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers[Ffn0];
        Assert.Equal(1, layer.BottleneckSize("default"));
    }

    [Fact]
    public void AnUndefinedNonLinearityIsRefusedNamingTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PeftModel.Create(new TinyBert(hidden: 16), new BottleneckAdapterConfig { TargetModules = ["output.dense"], NonLinearity = (AdapterNonLinearity)99 }));
        Assert.Contains("non_linearity 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("Relu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddingsAreRejectedNamingTheModule()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PeftModel.Create(new TinyBert(), new BottleneckAdapterConfig { TargetModules = ["word_embeddings"] }));
        Assert.Contains("'bert.embeddings.word_embeddings'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The activations written out from their definitions.</summary>
    private static Tensor Activation(Tensor z, AdapterNonLinearity nonLinearity) => nonLinearity switch
    {
        AdapterNonLinearity.Relu => z.clamp_min(0),
        AdapterNonLinearity.Gelu => 0.5 * z * (1 + (z / Math.Sqrt(2)).erf()),
        AdapterNonLinearity.Swish => z / (1 + (-z).exp()),
        _ => ((2 * z).exp() - 1) / ((2 * z).exp() + 1),
    };
}
