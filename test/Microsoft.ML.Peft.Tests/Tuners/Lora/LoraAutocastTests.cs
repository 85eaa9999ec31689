using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Lora;

/// <summary>
/// Under <see cref="MixedPrecision"/> a LoRA layer multiplies its float32 A and B in bfloat16, as PyTorch's autocast
/// does (weights cast down, activations not cast up), and its gradients stay float32; outside it, a bfloat16 base keeps
/// PEFT's float32 adapter path.
/// </summary>
public sealed class LoraAutocastTests
{
    private const string Query = "bert.encoder.layer.0.attention.self.query";

    // features.2 is Conv2d(6, 8, 3, stride 2, padding 2, dilation 2).
    private const string Dilated = "features.2";

    private const double Scale = 6.0 / 4;

    [Fact]
    public void LinearMultipliesTheAdapterInBfloat16UnderMixedPrecision()
    {
        torch.manual_seed(21);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { R = 4, LoraAlpha = 6, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        using Tensor x = torch.randn(5, 16).to(ScalarType.BFloat16);

        AssertAutocast(layer, x, (input, a, b) => nn.functional.linear(nn.functional.linear(input, a), b));
    }

    [Fact]
    public void ConvolutionMultipliesTheAdapterInBfloat16UnderMixedPrecision()
    {
        torch.manual_seed(22);
        using var peft = PeftModel.Create(new TinyConvNet(), new LoraConfig { R = 4, LoraAlpha = 6, TargetModules = [Dilated], InitLoraWeights = LoraInitialization.Random });
        var layer = (LoraConv2d)peft.BaseModel.TunerLayers[Dilated];
        using Tensor x = torch.randn(2, 6, 9, 9).to(ScalarType.BFloat16);
        long[] stride = [2, 2], padding = [2, 2], dilation = [2, 2];

        AssertAutocast(layer, x, (input, a, b) => nn.functional.conv2d(nn.functional.conv2d(input, a, null, stride, padding, dilation), b));
    }

    [Fact]
    public void ABfloat16BaseOutsideMixedPrecisionKeepsPeftsFloat32AdapterPath()
    {
        torch.manual_seed(23);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { R = 4, LoraAlpha = 6, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        var baseLinear = (Linear)layer.BaseLayer;
        baseLinear.to(ScalarType.BFloat16);
        using Tensor x = torch.randn(5, 16).to(ScalarType.BFloat16);

        using Tensor actual = layer.call(x);

        using Tensor expected = nn.functional.linear(x, baseLinear.weight!, baseLinear.bias);
        using Tensor delta = nn.functional.linear(nn.functional.linear(x.to(ScalarType.Float32), layer.WeightA("default")), layer.WeightB("default"));
        expected.add_(delta, Scale);
        Assert.Equal(ScalarType.BFloat16, actual.dtype);
        TensorAssert.Close(expected, actual, 0);
    }

    /// <summary>
    /// Runs <paramref name="layer"/> on <paramref name="x"/> under mixed precision and checks its output and its A and B
    /// gradients, bit for bit, against the base layer plus <paramref name="lowRank"/> applied with bfloat16 copies of A and B.
    /// </summary>
    private static void AssertAutocast(LoraLayer layer, Tensor x, Func<Tensor, Tensor, Tensor, Tensor> lowRank)
    {
        Parameter weightA = layer.WeightA("default");
        Parameter weightB = layer.WeightB("default");
        using Tensor a = weightA.detach().clone().requires_grad_(true);
        using Tensor b = weightB.detach().clone().requires_grad_(true);
        using var scope = NewDisposeScope();

        Tensor actual, expected, peftPath;
        using (MixedPrecision.Apply(layer))
        {
            Assert.Equal(ScalarType.BFloat16, layer.BaseLayer.parameters().First().dtype);
            actual = layer.call(x);
            Tensor baseOut = layer.BaseLayer.call(x);
            expected = baseOut.add(lowRank(x, a.to(ScalarType.BFloat16), b.to(ScalarType.BFloat16)), Scale);

            // The same layer with autocast off (PEFT's path: the input cast to float32) rounds differently, so the
            // comparison below can tell the two apart.
            var autocast = (IAutocastModule)layer;
            autocast.AutocastType = null;
            using (no_grad())
            {
                peftPath = layer.call(x);
            }

            autocast.AutocastType = MixedPrecision.ComputeType;
        }

        Assert.Equal(ScalarType.BFloat16, actual.dtype);
        TensorAssert.Close(expected, actual, 0);
        TensorAssert.NotClose(expected, peftPath, atLeast: 1e-6);

        actual.to(ScalarType.Float32).square().sum().backward();
        expected.to(ScalarType.Float32).square().sum().backward();
        Assert.Equal(ScalarType.Float32, weightA.grad!.dtype);
        Assert.Equal(ScalarType.Float32, weightB.grad!.dtype);
        TensorAssert.Close(a.grad!, weightA.grad!, 0);
        TensorAssert.Close(b.grad!, weightB.grad!, 0);
        Assert.Equal(ScalarType.Float32, layer.BaseLayer.parameters().First().dtype);
        Assert.Null(((IAutocastModule)layer).AutocastType);
    }
}
