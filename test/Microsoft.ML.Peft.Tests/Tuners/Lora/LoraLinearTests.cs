using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Lora;

/// <summary>LoRA on dense layers against PEFT's formulas: y = xWᵀ + b + s·(x Aᵀ Bᵀ), s = α/r or α/√r.</summary>
public sealed class LoraLinearTests
{
    private const string Query = "bert.encoder.layer.0.attention.self.query";

    [Fact]
    public void NewAdapterLeavesTheOutputUnchanged()
    {
        torch.manual_seed(1);
        var model = new TinyBert();
        using Tensor ids = TinyBert.Ids();
        using Tensor before = model.forward(ids);

        using var peft = PeftModel.Create(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["query", "value"] });
        using Tensor after = model.forward(ids);

        TensorAssert.Close(before, after, 0);
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        Assert.Equal(0, TensorAssert.MaxAbs(layer.WeightB("default")));
        Assert.True(TensorAssert.MaxAbs(layer.WeightA("default")) > 0);
    }

    [Fact]
    public void ForwardAddsScaledLowRankUpdate()
    {
        torch.manual_seed(2);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 4, LoraAlpha = 6, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        var baseLinear = (Linear)layer.BaseLayer;
        using Tensor x = torch.randn(3, 16);

        using Tensor actual = layer.forward(x);
        using Tensor expected = x.matmul(baseLinear.weight!.t()) + baseLinear.bias! +
                                x.matmul(layer.WeightA("default").t()).matmul(layer.WeightB("default").t()) * (6.0 / 4);

        TensorAssert.Close(expected, actual, 1e-5);
        Assert.Equal(1.5, layer.Scaling("default"), 12);
    }

    [Theory]
    [InlineData(false, 2.0)]
    [InlineData(true, 5.6568542494923806)]
    public void ScalingIsAlphaOverRankOrOverSquareRootWithRsLora(bool useRsLora, double expected)
    {
        torch.manual_seed(3);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { R = 8, LoraAlpha = 16, UseRsLora = useRsLora, TargetModules = ["query"] });
        Assert.Equal(expected, ((LoraLayer)peft.BaseModel.TunerLayers[Query]).Scaling("default"), 12);
    }

    public static TheoryData<string> Variants => new() { "lora", "rslora", "dora", "dora-rslora" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void MergedForwardEqualsUnmergedAndUnmergeRestoresWeights(string variant)
    {
        torch.manual_seed(4);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 4,
            LoraAlpha = 12,
            TargetModules = ["query", "value", "dense"],
            UseRsLora = variant.Contains("rslora", StringComparison.Ordinal),
            UseDora = variant.StartsWith("dora", StringComparison.Ordinal),
            InitLoraWeights = LoraInitialization.Random,
        });
        model.eval();
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        using Tensor original = layer.BaseLayer.get_parameter("weight")!.detach().clone();
        using Tensor ids = TinyBert.Ids();
        using Tensor unmerged = model.forward(ids);
        using (peft.DisableAdapter())
        {
            using Tensor baseline = model.forward(ids);
            TensorAssert.NotClose(baseline, unmerged);
        }

        peft.Merge();
        Assert.True(layer.IsMerged);
        using Tensor merged = model.forward(ids);
        TensorAssert.CloseAtScale(unmerged, merged);
        TensorAssert.NotClose(original, layer.BaseLayer.get_parameter("weight")!);

        peft.Unmerge();
        TensorAssert.Close(original, layer.BaseLayer.get_parameter("weight")!, 1e-6);
        using Tensor again = model.forward(ids);
        TensorAssert.CloseAtScale(unmerged, again);
    }

    [Fact]
    public void FanInFanOutAdaptsWeightsStoredInputByOutput()
    {
        torch.manual_seed(5);
        var model = new TransposedNet(inputs: 6, outputs: 5);
        using Tensor x = torch.randn(4, 6);
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 3, LoraAlpha = 3, FanInFanOut = true, TargetModules = ["c_proj"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers["h.0.c_proj"];
        Assert.True(layer.FanInFanOut);
        Assert.Equal([3L, 6L], layer.WeightA("default").shape);
        Assert.Equal([5L, 3L], layer.WeightB("default").shape);
        var conv1d = (TransposedLinear)layer.BaseLayer;

        using Tensor expected = x.matmul(conv1d.weight) + conv1d.bias + x.matmul(layer.WeightA("default").t()).matmul(layer.WeightB("default").t());
        using Tensor unmerged = model.forward(x);
        TensorAssert.Close(expected, unmerged, 1e-5);

        using Tensor original = conv1d.weight.detach().clone();
        peft.Merge();
        using Tensor merged = model.forward(x);
        TensorAssert.Close(unmerged, merged, 1e-5);
        Assert.Equal([6L, 5L], layer.GetDeltaWeight("default").shape);
        peft.Unmerge();
        TensorAssert.Close(original, conv1d.weight, 1e-6);
    }

    [Fact]
    public void FanInFanOutIsIgnoredForLinearLayersAsInPeft()
    {
        torch.manual_seed(6);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { FanInFanOut = true, TargetModules = ["query"] });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        Assert.False(layer.FanInFanOut);
        Assert.Equal([8L, 16L], layer.WeightA("default").shape);
    }

    [Fact]
    public void InitializationsFollowPeft()
    {
        torch.manual_seed(7);
        var model = new TinyBert(hidden: 1024, layers: 1, intermediate: 4);
        using var peft = PeftModel.Create(model, new LoraConfig { R = 4, TargetModules = ["query"] });
        peft.AddAdapter("gaussian", new LoraConfig { R = 4, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Gaussian });
        peft.AddAdapter("random", new LoraConfig { R = 4, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];

        // Kaiming-uniform with a = √5 has bound √(6 / ((1 + 5)·fan_in)) = 1/√fan_in.
        double bound = 1 / Math.Sqrt(1024);
        Assert.InRange(TensorAssert.MaxAbs(layer.WeightA("default")), 0.9 * bound, bound);
        Assert.Equal(0, TensorAssert.MaxAbs(layer.WeightB("default")));

        using Tensor std = layer.WeightA("gaussian").std();
        Assert.InRange(std.item<float>(), 0.25 * 0.95, 0.25 * 1.05);
        Assert.Equal(0, TensorAssert.MaxAbs(layer.WeightB("gaussian")));

        Assert.True(TensorAssert.MaxAbs(layer.WeightB("random")) > 0);
    }

    [Fact]
    public void DropoutOnlyActsWhileTraining()
    {
        torch.manual_seed(8);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 4, LoraDropout = 0.5, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        using Tensor x = torch.randn(64, 16);
        model.eval();
        using Tensor evaluated = layer.forward(x);
        using Tensor expected = ((Linear)layer.BaseLayer).forward(x) +
                                x.matmul(layer.WeightA("default").t()).matmul(layer.WeightB("default").t()) * layer.Scaling("default");
        TensorAssert.Close(expected, evaluated, 1e-5);

        model.train();
        using Tensor trained = layer.forward(x);
        TensorAssert.NotClose(evaluated, trained);
    }
}
