using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels;

/// <summary>The PeftModel API: PEFT's names, freezing, counting, adapters, merging, unloading.</summary>
public sealed class PeftModelTests
{
    private const string Query0 = "bert.encoder.layer.0.attention.self.query";

    [Fact]
    public void StateDictKeysArePeftsInMemoryKeys()
    {
        torch.manual_seed(51);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { TargetModules = ["query", "value"] });
        var keys = peft.state_dict().Keys.ToHashSet();

        Assert.Contains($"base_model.model.{Query0}.base_layer.weight", keys);
        Assert.Contains($"base_model.model.{Query0}.base_layer.bias", keys);
        Assert.Contains($"base_model.model.{Query0}.lora_A.default.weight", keys);
        Assert.Contains($"base_model.model.{Query0}.lora_B.default.weight", keys);
        Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.key.weight", keys);
        Assert.Contains("base_model.model.classifier.weight", keys);
        Assert.DoesNotContain(keys, k => k.EndsWith(".query.weight", StringComparison.Ordinal));
    }

    [Fact]
    public void OnlyAdapterParametersAndTheHeadReceiveGradients()
    {
        torch.manual_seed(52);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig { TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random });
        using Tensor ids = TinyBert.Ids();
        using (Tensor loss = model.forward(ids).square().sum())
        {
            loss.backward();
        }

        var trainable = peft.TrainableParameters().ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var (name, parameter) in peft.named_parameters())
        {
            bool adapter = name.Contains(".lora_", StringComparison.Ordinal) || name.StartsWith("base_model.model.classifier.", StringComparison.Ordinal);
            Assert.Equal(adapter, parameter.requires_grad);
            Assert.Equal(adapter, trainable.Contains(parameter));
            Assert.True(adapter == (parameter.grad is not null), $"{name}: requires_grad={parameter.requires_grad}, grad={(parameter.grad is null ? "none" : "set")}");
        }

        Assert.Equal(2 * 2 * 2 + 2, trainable.Count);
    }

    [Fact]
    public void BertBaseLoraR8OnQueryAndValueTrainsTheClosedFormCount()
    {
        torch.manual_seed(53);
        using var scope = NewDisposeScope();
        var model = new TinyBert(vocab: 4, hidden: 768, layers: 12, intermediate: 4, labels: 2);
        using var peft = PeftModel.Create(model, new LoraConfig { TaskType = TaskType.SeqCls, R = 8, LoraAlpha = 16, TargetModules = ["query", "value"] });

        const long lora = 12 * 2 * (768 * 8 + 8 * 768);
        const long head = 768 * 2 + 2;
        Assert.Equal(294_912, lora);
        TrainableParameterReport report = peft.GetTrainableParameterReport();
        Assert.Equal(lora + head, report.TrainableParameters);
        Assert.Equal(model.parameters().Sum(p => p.numel()), report.AllParameters);

        // The adapter file holds exactly these tensors: 1,185,800 bytes of float32 (about 1.2 MB).
        long bytes = peft.GetAdapterStateDict().Values.Sum(t => t.numel() * t.ElementSize);
        Assert.Equal((lora + head) * 4, bytes);
        Assert.Equal(1_185_800, bytes);

        var writer = new StringWriter();
        peft.PrintTrainableParameters(writer);
        Assert.Equal($"trainable params: 296,450 || all params: {report.AllParameters:N0} || trainable%: {100.0 * 296_450 / report.AllParameters:F4}",
            writer.ToString().TrimEnd(), ignoreLineEndingDifferences: true);
    }

    [Fact]
    public void DisableAdapterGivesTheBaseOutputUntilDisposed()
    {
        torch.manual_seed(54);
        var model = new TinyBert();
        using Tensor ids = TinyBert.Ids();
        using Tensor baseline = model.forward(ids);
        using var peft = PeftModel.Create(model, new LoraConfig { TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random });
        using (no_grad())
        {
            ((TinyBert)peft.Model).Classifier.weight!.add_(1);
        }

        using Tensor adapted = model.forward(ids);
        TensorAssert.NotClose(baseline, adapted);
        using (peft.DisableAdapter())
        {
            using Tensor disabled = model.forward(ids);
            TensorAssert.Close(baseline, disabled, 1e-6);
        }

        using Tensor again = model.forward(ids);
        TensorAssert.Close(adapted, again, 1e-6);
    }

    [Fact]
    public void MergingIsRefusedWhileDisabledAndMergeAndUnloadThereGivesTheAdaptedModel()
    {
        torch.manual_seed(58);
        var model = new TinyBert();
        using Tensor ids = TinyBert.Ids();
        using Tensor baseline = model.forward(ids);
        using var peft = PeftModel.Create(model, new LoraConfig { TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random });
        using (no_grad())
        {
            ((TinyBert)peft.Model).Classifier.weight!.add_(1);
        }

        using Tensor adapted = model.forward(ids);
        using (peft.DisableAdapter())
        {
            var error = Assert.Throws<InvalidOperationException>(() => peft.Merge());
            Assert.Contains("disabled", error.Message, StringComparison.Ordinal);
            using Tensor disabled = model.forward(ids);
            TensorAssert.Close(baseline, disabled, 1e-6);

            TinyBert merged = peft.MergeAndUnload();
            using Tensor mergedOutput = merged.forward(ids);
            TensorAssert.Close(adapted, mergedOutput, 1e-5);
        }
    }

    [Fact]
    public void SeveralAdaptersSwitchAndEachComputesItsOwnOutput()
    {
        torch.manual_seed(55);
        var model = new TinyBert();
        using Tensor ids = TinyBert.Ids();
        using Tensor baseline = model.forward(ids);
        var config = new LoraConfig { R = 2, TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random };
        using var peft = PeftModel.Create(model, config);
        using Tensor first = model.forward(ids);

        peft.AddAdapter("other", config with { R = 3, TargetModules = ["key"] });
        Assert.Equal("default", peft.ActiveAdapter);
        using Tensor stillFirst = model.forward(ids);
        TensorAssert.Close(first, stillFirst, 1e-6);
        var otherLayer = (LoraLayer)peft.BaseModel.TunerLayers["bert.encoder.layer.0.attention.self.key"];
        Assert.All(otherLayer.AdapterParameters("other"), p => Assert.False(p.requires_grad));

        peft.SetAdapter("other");
        Assert.Equal("other", peft.ActiveAdapter);
        using Tensor second = model.forward(ids);
        TensorAssert.NotClose(first, second);
        TensorAssert.NotClose(baseline, second);
        Assert.All(otherLayer.AdapterParameters("other"), p => Assert.True(p.requires_grad));
        var queryLayer = (LoraLayer)peft.BaseModel.TunerLayers[Query0];
        Assert.All(queryLayer.AdapterParameters("default"), p => Assert.False(p.requires_grad));

        // Only "other" is active: the query/value layers pass through, so this equals key-only LoRA on the base.
        peft.SetAdapter("default");
        using Tensor firstAgain = model.forward(ids);
        TensorAssert.Close(first, firstAgain, 1e-6);

        peft.DeleteAdapter("default");
        Assert.Equal("other", peft.ActiveAdapter);
        Assert.DoesNotContain(peft.state_dict().Keys, k => k.Contains(".default", StringComparison.Ordinal));
        using Tensor afterDelete = model.forward(ids);
        TensorAssert.Close(second, afterDelete, 1e-6);
    }

    [Fact]
    public void ModulesToSaveKeepOneCopyPerAdapter()
    {
        torch.manual_seed(56);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig { TargetModules = ["query"] });
        peft.AddAdapter("other", new LoraConfig { TargetModules = ["query"] });
        Linear head = model.Classifier;
        using Tensor original = head.weight!.detach().clone();
        using (no_grad())
        {
            head.weight.add_(1);
        }

        peft.SetAdapter("other");
        TensorAssert.Close(original, head.weight, 0);
        using (no_grad())
        {
            head.weight.sub_(2);
        }

        peft.SetAdapter("default");
        TensorAssert.Close(original + 1, head.weight, 1e-6);
        using (peft.DisableAdapter())
        {
            TensorAssert.Close(original, head.weight, 0);
        }

        TensorAssert.Close(original + 1, head.weight, 1e-6);
        using Tensor savedOther = peft.GetAdapterStateDict("other")["base_model.model.classifier.weight"].clone();
        TensorAssert.Close(original - 2, savedOther, 1e-6);
    }

    [Fact]
    public void CatCombinationAddsTheWeightedUpdatesExactly()
    {
        torch.manual_seed(57);
        var model = new TinyBert();
        var config = new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random, ModulesToSave = [] };
        using var peft = PeftModel.Create(model, config);
        peft.AddAdapter("b", config with { R = 3, LoraAlpha = 3 });
        peft.AddWeightedAdapter(["default", "b"], [0.7, -1.5], "mix", AdapterCombination.Cat);

        var layer = (LoraLayer)peft.BaseModel.TunerLayers[Query0];
        Assert.Equal(5, layer.Rank("mix"));
        Assert.Equal(1.0, layer.Scaling("mix"));
        using Tensor expected = layer.GetDeltaWeight("default") * 0.7 - layer.GetDeltaWeight("b") * 1.5;
        TensorAssert.Close(expected, layer.GetDeltaWeight("mix"), 1e-6);
        Assert.All(layer.AdapterParameters("mix"), p => Assert.False(p.requires_grad));

        // Merging the combined adapter adds exactly the weighted sum to the base weight.
        var combined = (LoraConfig)peft.PeftConfigs["mix"];
        Assert.Equal(5, combined.R);
        Assert.Equal(["query", "value"], combined.TargetModules!.Names);
        peft.SetAdapter("mix");
        var weight = ((Linear)layer.BaseLayer).weight!;
        using Tensor original = weight.detach().clone();
        peft.Merge();
        TensorAssert.Close(original + expected, weight, 1e-6);
    }

    [Fact]
    public void LinearCombinationFollowsPeftAndNeedsEqualRanks()
    {
        torch.manual_seed(58);
        var config = new LoraConfig { R = 2, LoraAlpha = 2, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random, ModulesToSave = [] };
        using var peft = PeftModel.Create(new TinyBert(), config);
        peft.AddAdapter("b", config);
        peft.AddWeightedAdapter(["default", "b"], [0.25, 1.0], "mix");

        var layer = (LoraLayer)peft.BaseModel.TunerLayers[Query0];
        using Tensor a = layer.WeightA("default") * 0.5 + layer.WeightA("b");
        using Tensor b = layer.WeightB("default") * 0.5 + layer.WeightB("b");
        TensorAssert.Close(a, layer.WeightA("mix"), 1e-6);
        TensorAssert.Close(b, layer.WeightB("mix"), 1e-6);

        peft.AddAdapter("c", config with { R = 3 });
        var error = Assert.Throws<ArgumentException>(() => peft.AddWeightedAdapter(["default", "c"], [1, 1], "bad"));
        Assert.Contains("same r", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bad", peft.PeftConfigs.Keys);
    }

    [Fact]
    public void MergeAndUnloadReturnsPlainLayersComputingTheAdaptedOutput()
    {
        torch.manual_seed(59);
        var model = new TinyConvNet();
        var requiresGrad = model.parameters().Select(p => p.requires_grad).ToList();
        using Tensor images = TinyConvNet.Images();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 2, TargetModules = ["features.0", "features.2"], InitLoraWeights = LoraInitialization.Random,
        });
        using (no_grad())
        {
            ((Linear)model.fc).bias!.add_(0.5);
        }

        using Tensor adapted = model.forward(images);
        TinyConvNet unloaded = peft.MergeAndUnload();

        Assert.Same(model, unloaded);
        Assert.All(unloaded.features.named_children(), c => Assert.False(c.module is LoraLayer));
        Assert.DoesNotContain(unloaded.state_dict().Keys, k => k.Contains("lora_", StringComparison.Ordinal) || k.Contains("base_layer", StringComparison.Ordinal));
        Assert.Equal(requiresGrad, unloaded.parameters().Select(p => p.requires_grad).ToList());
        using Tensor merged = unloaded.forward(images);
        TensorAssert.CloseAtScale(adapted, merged);
    }

    [Fact]
    public void AdaptersCreatedInsideADisposeScopeOutliveIt()
    {
        torch.manual_seed(61);
        var model = new TinyBert();
        PeftModel<TinyBert> peft;
        using (NewDisposeScope())
        {
            peft = PeftModel.Create(model, new LoraConfig
            {
                R = 2, UseDora = true, TargetModules = ["query", "word_embeddings"], InitLoraWeights = LoraInitialization.Random,
            });
            peft.AddAdapter("other", new LoraConfig { R = 2, TargetModules = ["value"], InitLoraWeights = LoraInitialization.Random });
            peft.Merge();
        }

        using (peft)
        {
            using Tensor ids = TinyBert.Ids();
            using Tensor merged = model.forward(ids);
            peft.Unmerge();
            using Tensor unmerged = model.forward(ids);
            TensorAssert.CloseAtScale(merged, unmerged);
            peft.SetAdapter("other");
            peft.SetAdapter("default");
            using Tensor again = model.forward(ids);
            TensorAssert.CloseAtScale(unmerged, again);
            Assert.All(peft.GetAdapterStateDict("other").Values, t => Assert.True(t.numel() > 0));
        }
    }

    [Theory]
    [InlineData(ChildStyle.SwappableFields)]
    [InlineData(ChildStyle.HookedCalls)]
    public void UnloadRestoresTheBaseModelAndOutlivesThePeftModel(ChildStyle style)
    {
        torch.manual_seed(60);
        var model = new TinyBert(style: style);
        nn.Module attention = model.bert.encoder.layer[0].attention.self;
        nn.Module QueryField() => (nn.Module)attention.GetType().GetField("query")!.GetValue(attention)!;
        nn.Module query = QueryField();
        using Tensor ids = TinyBert.Ids();
        using Tensor baseline = model.forward(ids);
        var peft = PeftModel.Create(model, new LoraConfig { TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random });
        using Tensor adapted = model.forward(ids);
        TensorAssert.NotClose(baseline, adapted);

        TinyBert unloaded = peft.Unload();
        peft.Dispose();

        Assert.Same(query, QueryField());
        Assert.Same(query, ModuleTree.Get(unloaded, "bert.encoder.layer.0.attention.self.query"));
        using Tensor after = unloaded.forward(ids);
        TensorAssert.Close(baseline, after, 1e-6);
    }
}
