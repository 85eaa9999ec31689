using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.IA3;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.IA3;

/// <summary>(IA)³ layers against PEFT's formulas: shapes of <c>ia3_l</c>, input versus output scaling, merging.</summary>
public sealed class IA3LayerTests
{
    private const string Layer0 = "bert.encoder.layer.0.";

    [Fact]
    public void DenseLayersScaleOutputsOrFeedForwardInputs()
    {
        torch.manual_seed(11);
        using var peft = PeftModel.Create(new TinyBert(), new IA3Config
        {
            TargetModules = ["key", "value", "output.dense"],
            FeedforwardModules = ["output.dense"],
            InitIA3Weights = false,
        });
        var layers = ((IA3Model)peft.BaseModel).IA3Layers;

        // PEFT's suffix rule makes "output.dense" match attention.output.dense too, and its plain endswith rule makes it feed-forward.
        Assert.Equal(
            new[] { "attention.output.dense", "attention.self.key", "attention.self.value", "output.dense" },
            layers.Keys.Where(k => k.StartsWith(Layer0, StringComparison.Ordinal)).Select(k => k[Layer0.Length..]).Order(StringComparer.Ordinal));

        IA3Layer key = layers[Layer0 + "attention.self.key"];
        IA3Layer ffn = layers[Layer0 + "output.dense"];
        Assert.False(key.IsFeedforward);
        Assert.True(ffn.IsFeedforward);
        Assert.True(layers[Layer0 + "attention.output.dense"].IsFeedforward);
        Assert.Equal([16L, 1L], key.Vector("default").shape);
        Assert.Equal([1L, 24L], ffn.Vector("default").shape);

        using var noGrad = no_grad();
        using Tensor x = randn(3, 16);
        var keyBase = (Linear)key.BaseLayer;
        using Tensor expectedKey = (x.matmul(keyBase.weight!.t()) + keyBase.bias!) * key.Vector("default").flatten();
        using Tensor actualKey = key.forward(x);
        TensorAssert.Close(expectedKey, actualKey, 1e-5);

        using Tensor h = randn(3, 24);
        var ffnBase = (Linear)ffn.BaseLayer;
        using Tensor expectedFfn = (h * ffn.Vector("default").flatten()).matmul(ffnBase.weight!.t()) + ffnBase.bias!;
        using Tensor actualFfn = ffn.forward(h);
        TensorAssert.Close(expectedFfn, actualFfn, 1e-5);
    }

    [Fact]
    public void ConvolutionsScaleOutputChannelsOrFeedForwardInputChannels()
    {
        torch.manual_seed(12);
        using var peft = PeftModel.Create(new TinyConvNet(), new IA3Config
        {
            TargetModules = ["features.0", "features.2"],
            FeedforwardModules = ["features.2"],
            InitIA3Weights = false,
        });
        var layers = ((IA3Model)peft.BaseModel).IA3Layers;
        IA3Layer first = layers["features.0"];
        IA3Layer second = layers["features.2"];
        Assert.IsType<IA3Conv2d>(first);
        Assert.Equal([1L, 6L, 1L, 1L], first.Vector("default").shape);
        Assert.Equal([1L, 6L, 1L, 1L], second.Vector("default").shape);

        using var noGrad = no_grad();
        using Tensor images = TinyConvNet.Images();
        var conv0 = (Conv2d)first.BaseLayer;
        using Tensor expectedFirst = nn.functional.conv2d(images, conv0.weight!, conv0.bias, padding: [1, 1]) * first.Vector("default");
        using Tensor actualFirst = first.forward(images);
        TensorAssert.Close(expectedFirst, actualFirst, 1e-5);

        using Tensor hidden = randn(2, 6, 9, 9);
        var conv2 = (Conv2d)second.BaseLayer;
        using Tensor expectedSecond = nn.functional.conv2d(hidden * second.Vector("default"), conv2.weight!, conv2.bias, strides: [2, 2], padding: [2, 2], dilation: [2, 2]);
        using Tensor actualSecond = second.forward(hidden);
        TensorAssert.Close(expectedSecond, actualSecond, 1e-5);
    }

    [Fact]
    public void OutputScalingOfAConvolutionHasOneEntryPerOutputChannel()
    {
        using var peft = PeftModel.Create(new TinyConvNet(), new IA3Config { TargetModules = ["features.2"], FeedforwardModules = [] });
        Assert.Equal([1L, 8L, 1L, 1L], ((IA3Model)peft.BaseModel).IA3Layers["features.2"].Vector("default").shape);
    }

    public static TheoryData<string> MergeCases => new() { "dense", "convolution", "fan-in-fan-out", "hooked" };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void MergedForwardEqualsUnmergedAndUnmergeRestoresTheBaseWeights(string kind)
    {
        torch.manual_seed(13);
        (nn.Module<Tensor, Tensor> model, IA3Config config, Tensor input) = kind switch
        {
            "dense" => ((nn.Module<Tensor, Tensor>)new TinyBert(), new IA3Config { TargetModules = ["key", "value", "output.dense"], FeedforwardModules = ["output.dense"] }, TinyBert.Ids()),
            "convolution" => (new TinyConvNet(), new IA3Config { TargetModules = ["features.0", "features.2"], FeedforwardModules = ["features.2"] }, TinyConvNet.Images()),
            "fan-in-fan-out" => (new TransposedNet(), new IA3Config { TargetModules = ["c_proj"], FeedforwardModules = [], FanInFanOut = true }, randn(3, 6)),
            _ => (new TinyBert(style: ChildStyle.HookedCalls), new IA3Config { TargetModules = ["key", "value"], FeedforwardModules = ["key"] }, TinyBert.Ids()),
        };
        using var disposeInput = input;
        var baseWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
        using Tensor before = model.forward(input).detach();

        using var peft = PeftModel.Create(model, config);
        var layers = ((IA3Model)peft.BaseModel).IA3Layers.Values.ToList();
        Assert.Contains(layers, l => l.IsFeedforward == (kind != "fan-in-fan-out"));
        using (no_grad())
        {
            // Away from zero, so that unmerging (÷ (l + 1e-8), as PEFT) is exact to float32 rounding.
            var generator = new Generator(14);
            foreach (IA3Layer layer in layers)
            {
                Parameter vector = layer.Vector("default");
                vector.copy_(rand(vector.shape, generator: generator) + 0.5);
            }
        }

        using Tensor adapted = model.forward(input).detach();
        TensorAssert.NotClose(before, adapted, 1e-4);

        peft.Merge();
        Assert.True(peft.BaseModel.IsMerged);
        using (Tensor merged = model.forward(input))
        {
            TensorAssert.CloseAtScale(adapted, merged, 1e-5);
        }

        var mergedWeights = peft.BaseModel.Model.named_parameters()
            .Where(p => p.name.EndsWith(".base_layer.weight", StringComparison.Ordinal) || p.name.EndsWith(".weight", StringComparison.Ordinal) && !p.name.Contains("ia3", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(mergedWeights, p => !p.parameter.allclose(baseWeights[p.name.Replace(".base_layer", "", StringComparison.Ordinal)], rtol: 1e-6, atol: 1e-7));

        peft.Unmerge();
        Assert.False(peft.BaseModel.IsMerged);
        foreach (var (name, parameter) in peft.BaseModel.Model.named_parameters().Where(p => !p.name.Contains(".ia3_l.", StringComparison.Ordinal)))
        {
            Tensor original = baseWeights[name.Replace(".base_layer", "", StringComparison.Ordinal)];
            TensorAssert.Close(original, parameter, 1e-6, relative: 1e-6);
        }

        using Tensor unmerged = model.forward(input);
        TensorAssert.CloseAtScale(adapted, unmerged, 1e-5);
    }

    [Fact]
    public void MergeAndUnloadLeavesPlainLayersComputingTheAdaptedOutput()
    {
        torch.manual_seed(15);
        var model = new TinyBert();
        using Tensor ids = TinyBert.Ids();
        var peft = PeftModel.Create(model, new IA3Config { TargetModules = ["key", "output.dense"], FeedforwardModules = ["output.dense"], InitIA3Weights = false, ModulesToSave = [] });
        using Tensor adapted = model.forward(ids).detach();

        TinyBert plain = peft.MergeAndUnload();
        peft.Dispose();
        Assert.DoesNotContain(plain.named_modules(), m => m.module is IA3Layer);
        Assert.IsType<Linear>(plain.bert.encoder.layer[0].output.dense);
        using Tensor after = plain.forward(ids);
        TensorAssert.CloseAtScale(adapted, after, 1e-4);
    }

    [Fact]
    public void FeedforwardModulesMustBeASubsetOfTheTargets()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PeftModel.Create(new TinyBert(), new IA3Config { TargetModules = ["key", "value"], FeedforwardModules = ["output.dense"] }));
        Assert.Contains("`feedforward_modules` should be a subset of `target_modules`", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnrecognizedArchitectureNeedsExplicitTargets()
    {
        var error = Assert.Throws<ArgumentException>(() => PeftModel.Create(new TransposedNet(), new IA3Config()));
        Assert.Contains("TargetModules is not set", error.Message, StringComparison.Ordinal);

        var noFeedforward = Assert.Throws<ArgumentException>(() => PeftModel.Create(new TransposedNet(), new IA3Config { TargetModules = ["c_proj"], FanInFanOut = true }));
        Assert.Contains("FeedforwardModules is not set", noFeedforward.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddingsAreRejectedNamingTheModule()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PeftModel.Create(new TinyBert(), new IA3Config { TargetModules = ["word_embeddings"], FeedforwardModules = [] }));
        Assert.Contains("'bert.embeddings.word_embeddings'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Linear and Conv2d", error.Message, StringComparison.Ordinal);
    }
}
