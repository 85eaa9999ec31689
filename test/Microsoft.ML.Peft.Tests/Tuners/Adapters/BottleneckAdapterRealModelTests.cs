using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners.Adapters;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Adapters;

/// <summary>Bottleneck adapters on the library's real BERT and RoBERTa classifiers and ResNet: placement, identity at start, files, merging.</summary>
public sealed class BottleneckAdapterRealModelTests
{
    public static TheoryData<string, BottleneckVariant> ModelsAndVariants
    {
        get
        {
            var data = new TheoryData<string, BottleneckVariant>();
            foreach (string model in new[] { "BERT", "RoBERTa", "ResNet" })
            {
                foreach (BottleneckVariant variant in Enum.GetValues<BottleneckVariant>())
                {
                    data.Add(model, variant);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ModelsAndVariants))]
    public void StartsAsTheIdentityOnTheDefaultPlacement(string name, BottleneckVariant variant)
    {
        RealModel real = RealModel.ByName(name);
        using Tensor expected = real.BaseLogits();
        using var peft = PeftModel.Create(real.Fresh(), new BottleneckAdapterConfig { Variant = variant, ReductionFactor = 4 });
        var wrapped = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers.Keys.Order(StringComparer.Ordinal).ToList();
        string encoder = name == "BERT" ? "bert.encoder" : "roberta.encoder";
        string[] placement = (name, variant) switch
        {
            ("ResNet", _) => ["layer1.0", "layer2.0", "layer3.0", "layer4.0"],
            (_, BottleneckVariant.Houlsby) =>
            [
                $"{encoder}.layer.0.attention.output.dense", $"{encoder}.layer.0.output.dense",
                $"{encoder}.layer.1.attention.output.dense", $"{encoder}.layer.1.output.dense",
            ],
            _ => [$"{encoder}.layer.0.output.dense", $"{encoder}.layer.1.output.dense"],
        };
        Assert.Equal(placement, wrapped);

        using var noGrad = no_grad();
        using Tensor actual = real.Run(peft.Model);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6), $"A fresh {variant} adapter changed the logits.");

        // The identity comes from the zero up-projection, not from adapters being skipped.
        MethodAssert.Perturb(peft, seed: 41);
        using Tensor perturbed = real.Run(peft.Model);
        Assert.False(perturbed.allclose(expected, rtol: 0, atol: 1e-4), "The adapters are not in the forward path.");
    }

    [Theory]
    [MemberData(nameof(ModelsAndVariants))]
    public void TrainedAdaptersRoundTripThroughTheFiles(string name, BottleneckVariant variant)
    {
        using var folder = new TemporaryFolder();
        RealModel real = RealModel.ByName(name);
        using Tensor baseLogits = real.BaseLogits();
        using var peft = PeftModel.Create(real.Fresh(), new BottleneckAdapterConfig { Variant = variant, ReductionFactor = 4, NonLinearity = AdapterNonLinearity.Gelu });
        MethodAssert.Perturb(peft, seed: 42);
        using var noGrad = no_grad();
        using Tensor adapted = real.Run(peft.Model).detach().clone();
        using (peft.DisableAdapter())
        {
            using Tensor disabled = real.Run(peft.Model);
            MethodAssert.SameLogits(baseLogits, disabled, "DisableAdapter does not give the base model's logits");
        }

        peft.SavePretrained(folder.Path);
        JsonObject json = MethodAssert.ReadConfig(folder.Path);
        Assert.Equal("BOTTLENECK_ADAPTER", (string?)json["peft_type"]);
        Assert.Equal(variant.ToString().ToLowerInvariant(), (string?)json["variant"]);
        Assert.Equal(4, (int)json["reduction_factor"]!);
        Assert.Equal("gelu", (string?)json["non_linearity"]);
        Assert.Equal(variant == BottleneckVariant.Parallel ? 4.0 : 1.0, (double)json["scaling"]!);
        Assert.True((bool)json["init_adapter_weights"]!);
        Assert.NotNull((string?)json["target_modules"]);

        var layers = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers.Keys;
        string head = name != "ResNet" ? "classifier" : "fc";
        var expectedKeys = layers
            .SelectMany(k => new[] { "adapter_down.weight", "adapter_down.bias", "adapter_up.weight", "adapter_up.bias" }.Select(t => $"base_model.model.{k}.{t}"))
            .Concat(peft.Model.named_parameters().Where(p => p.name.StartsWith(head + ".", StringComparison.Ordinal)).Select(p => "base_model.model." + p.name))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expectedKeys, MethodAssert.SavedKeys(folder.Path).Order(StringComparer.Ordinal));

        using var reloaded = PeftModel.FromPretrained(real.Fresh(), folder.Path);
        var config = (BottleneckAdapterConfig)reloaded.ActivePeftConfig;
        Assert.Equal((variant, 4, AdapterNonLinearity.Gelu), (config.Variant, config.ReductionFactor, config.NonLinearity));
        using Tensor again = real.Run(reloaded.Model);
        MethodAssert.SameLogits(adapted, again, "The reloaded adapter gives other logits");
    }

    [Theory]
    [InlineData("BERT")]
    [InlineData("RoBERTa")]
    [InlineData("ResNet")]
    public void MergingIsRefusedAndUnloadRestoresTheBaseModel(string name)
    {
        RealModel real = RealModel.ByName(name);
        using Tensor baseLogits = real.BaseLogits();
        nn.Module model = real.Fresh();
        var peft = PeftModel.Create(model, new BottleneckAdapterConfig { Variant = BottleneckVariant.Houlsby, ReductionFactor = 4 });
        MethodAssert.Perturb(peft, seed: 43);
        using var noGrad = no_grad();
        using Tensor adapted = real.Run(model).detach().clone();

        var merge = Assert.Throws<NotSupportedException>(peft.Merge);
        Assert.Contains("Bottleneck adapters (houlsby", merge.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be merged", merge.Message, StringComparison.Ordinal);
        var mergeAndUnload = Assert.Throws<NotSupportedException>(() => peft.MergeAndUnload());
        Assert.Contains("Unload()", mergeAndUnload.Message, StringComparison.Ordinal);
        Assert.False(peft.BaseModel.IsMerged);
        Assert.False(peft.BaseModel.CanMerge());
        using (Tensor still = real.Run(model))
        {
            MethodAssert.SameLogits(adapted, still, "A refused merge changed the model");
        }

        // Refused inside a DisableAdapter scope too, and the scope still gives the base model's logits afterwards.
        using (peft.DisableAdapter())
        {
            Assert.Throws<NotSupportedException>(() => peft.MergeAndUnload());
            Assert.Throws<NotSupportedException>(peft.Merge);
            using Tensor disabled = real.Run(model);
            MethodAssert.SameLogits(baseLogits, disabled, "A refused merge switched the adapters back on");
        }

        nn.Module plain = peft.Unload();
        peft.Dispose();
        Assert.DoesNotContain(plain.named_modules(), m => m.module is BottleneckAdapterLayer);
        Assert.DoesNotContain(plain.state_dict().Keys, k => k.Contains("adapter_", StringComparison.Ordinal));

        // The head keeps its trained values (as PEFT's unload keeps modules_to_save); the encoder is the base again.
        using Tensor unloaded = real.Run(plain);
        Assert.False(unloaded.allclose(adapted, rtol: 0, atol: 1e-4));
        string head = name != "ResNet" ? "classifier." : "fc.";
        using nn.Module original = real.Fresh();
        var originalState = original.state_dict();
        var plainState = plain.state_dict();
        Assert.Equal(originalState.Keys, plainState.Keys);
        foreach (var (key, value) in plainState.Where(p => !p.Key.StartsWith(head, StringComparison.Ordinal)))
        {
            Assert.True(value.allclose(originalState[key], rtol: 0, atol: 0), $"{key} changed.");
        }

        plain.Dispose();
    }

    [Theory]
    [MemberData(nameof(ModelsAndVariants))]
    public void GradientsReachOnlyTheAdaptersAndTheHead(string name, BottleneckVariant variant)
    {
        RealModel real = RealModel.ByName(name);
        using var peft = PeftModel.Create(real.Fresh(), new BottleneckAdapterConfig { Variant = variant, ReductionFactor = 4 });
        string head = name != "ResNet" ? "classifier" : "fc";
        MethodAssert.OnlyTrainableParametersGetGradients(
            peft,
            () => real.Run(peft.Model),
            n => n.Contains(".adapter_down.", StringComparison.Ordinal) || n.Contains(".adapter_up.", StringComparison.Ordinal) ||
                 n.StartsWith($"base_model.model.{head}.", StringComparison.Ordinal));
    }
}
