using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using Microsoft.ML.Peft.Tuners;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Lora;

/// <summary>LoRA on convolutions, laid out as PEFT: A = Conv2d(in, r, kernel, stride, padding, dilation), B = Conv2d(r, out, 1×1).</summary>
public sealed class LoraConv2dTests
{
    // features.2 is Conv2d(6, 8, 3, stride 2, padding 2, dilation 2).
    private const string Dilated = "features.2";

    [Fact]
    public void LowRankPairHasPeftsLayout()
    {
        torch.manual_seed(11);
        using var peft = PeftModel.Create(new TinyConvNet(), new LoraConfig { R = 4, TargetModules = ["features.0", Dilated] });
        var layer = (LoraConv2d)peft.BaseModel.TunerLayers[Dilated];
        var a = (Conv2d)ModuleTree.Get(peft.Model, $"{Dilated}.lora_A.default");
        var b = (Conv2d)ModuleTree.Get(peft.Model, $"{Dilated}.lora_B.default");

        Assert.Equal([4L, 6L, 3L, 3L], a.weight!.shape);
        Assert.Equal([2L, 2L], a.stride);
        Assert.Equal([2L, 2L], a.padding!);
        Assert.Equal([2L, 2L], a.dilation);
        Assert.Null(a.bias);
        Assert.Equal([8L, 4L, 1L, 1L], b.weight!.shape);
        Assert.Equal([1L, 1L], b.stride);
        Assert.Null(b.bias);
        Assert.Equal([8L, 6L, 3L, 3L], layer.GetDeltaWeight("default").shape);

        var keys = peft.state_dict().Keys.ToList();
        Assert.Contains("base_model.model.features.2.base_layer.weight", keys);
        Assert.Contains("base_model.model.features.2.lora_A.default.weight", keys);
        Assert.Contains("base_model.model.features.2.lora_B.default.weight", keys);
    }

    [Fact]
    public void ForwardIsBaseConvolutionPlusScaledOneByOneOfLowRankConvolution()
    {
        torch.manual_seed(12);
        var model = new TinyConvNet();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 3, LoraAlpha = 6, TargetModules = [Dilated], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraConv2d)peft.BaseModel.TunerLayers[Dilated];
        var conv = (Conv2d)layer.BaseLayer;
        using Tensor x = torch.randn(2, 6, 9, 9);

        using Tensor actual = ((TorchSharp.torch.nn.Module<Tensor, Tensor>)ModuleTree.Get(peft.Model, Dilated)).forward(x);
        long[] stride = [2, 2], padding = [2, 2], dilation = [2, 2];
        using Tensor baseOut = nn.functional.conv2d(x, conv.weight!, conv.bias, stride, padding, dilation);
        using Tensor low = nn.functional.conv2d(x, layer.WeightA("default"), null, stride, padding, dilation);
        using Tensor update = nn.functional.conv2d(low, layer.WeightB("default"));
        using Tensor expected = baseOut + update * 2.0;

        TensorAssert.Close(expected, actual, 1e-5);
        Assert.Equal([2L, 8L, 5L, 5L], actual.shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MergedForwardEqualsUnmergedForStridedPaddedDilatedConvolutions(bool useDora)
    {
        torch.manual_seed(13);
        var model = new TinyConvNet();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 2, LoraAlpha = 5, UseDora = useDora, TargetModules = ["features.0", Dilated], InitLoraWeights = LoraInitialization.Random,
        });
        var conv = (Conv2d)peft.BaseModel.TunerLayers[Dilated].BaseLayer;
        using Tensor original = conv.weight!.detach().clone();
        using Tensor images = TinyConvNet.Images();
        using Tensor unmerged = model.forward(images);

        peft.Merge();
        using Tensor merged = model.forward(images);
        TensorAssert.CloseAtScale(unmerged, merged);

        peft.Unmerge();
        TensorAssert.Close(original, conv.weight!, 1e-6);
    }

    [Fact]
    public void DoraConvolutionScalesEachFilterOfTheMergedWeight()
    {
        torch.manual_seed(14);
        var model = new TinyConvNet();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 2, LoraAlpha = 2, UseDora = true, TargetModules = [Dilated], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraConv2d)peft.BaseModel.TunerLayers[Dilated];
        var conv = (Conv2d)layer.BaseLayer;
        var magnitude = peft.Model.get_parameter($"{Dilated}.lora_magnitude_vector.default.weight")!;
        Assert.Equal([1L, 8L, 1L, 1L], magnitude.shape);

        using Tensor combined = conv.weight! + layer.GetDeltaWeight("default");
        using Tensor norms = combined.square().sum([1, 2, 3]).sqrt();
        TensorAssert.Close(norms.view(1, -1, 1, 1), magnitude, 1e-5);

        using (no_grad())
        {
            magnitude.mul_(torch.linspace(0.5, 1.5, 8).view(1, -1, 1, 1));
        }

        using Tensor x = torch.randn(2, 6, 9, 9);
        using Tensor direction = nn.functional.conv2d(x, combined, null, [2, 2], [2, 2], [2, 2]);
        using Tensor expected = magnitude / norms.view(1, -1, 1, 1) * direction + conv.bias!.view(1, -1, 1, 1);
        using Tensor actual = layer.forward(x);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    [Fact]
    public void GroupedConvolutionsAreRejected()
    {
        var model = nn.Sequential(nn.Conv2d(4, 4, 3, groups: 2));
        var error = Assert.Throws<ArgumentException>(() => PeftModel.Create(model, new LoraConfig { TargetModules = ["0"], ModulesToSave = [] }));
        Assert.Contains("groups = 2", error.Message, StringComparison.Ordinal);
        Assert.IsType<Conv2d>(model.named_children().Single().module);
    }
}
