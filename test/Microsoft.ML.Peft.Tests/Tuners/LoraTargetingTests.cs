using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Tuners;

/// <summary>Which modules LoRA wraps in real module trees, defaults per architecture, and the errors when it cannot.</summary>
public sealed class LoraTargetingTests
{
    [Fact]
    public void BertDefaultsAreQueryAndValueWithTheClassifierSaved()
    {
        torch.manual_seed(41);
        using var peft = PeftModel.Create(new TinyBert(layers: 2), new LoraConfig { TaskType = TaskType.SeqCls });
        var config = (LoraConfig)peft.ActivePeftConfig;

        Assert.Equal(["query", "value"], config.TargetModules!.Names);
        Assert.Equal(["classifier"], config.ModulesToSave!);
        Assert.Equal(
            [
                "bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value",
                "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value",
            ],
            peft.BaseModel.TunerLayers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["classifier"], peft.BaseModel.ModulesToSaveKeys);
    }

    [Fact]
    public void AGivenModulesToSaveListGetsTheClassifierAddedForSequenceClassificationAsInPeft()
    {
        torch.manual_seed(42);
        using var peft = PeftModel.Create(new TinyBert(layers: 2), new LoraConfig { TaskType = TaskType.SeqCls, ModulesToSave = ["intermediate"] });
        var config = (LoraConfig)peft.ActivePeftConfig;
        Assert.Equal(["intermediate", "classifier"], config.ModulesToSave!);
        Assert.Contains("classifier", peft.BaseModel.ModulesToSaveKeys);
        Assert.Contains(peft.named_parameters(), p => p.name.Contains("classifier.", StringComparison.Ordinal) && p.parameter.requires_grad);

        // Without a task type an explicit list is taken as it is, and an empty one trains no extra module.
        using var plain = PeftModel.Create(new TinyBert(layers: 2), new LoraConfig { ModulesToSave = [] });
        Assert.Empty(plain.BaseModel.ModulesToSaveKeys);
    }

    [Fact]
    public void ResNetDefaultsAreTheThreeByThreeConvolutionsOfTheResidualBlocks()
    {
        using var basic = ResNetModel.ResNet18(numClasses: 4);
        ModuleSelector basicTargets = LoraDefaultTargets.For(basic)!;
        var basicMatches = Matched(basic, basicTargets);
        Assert.Equal(16, basicMatches.Count);
        Assert.Contains("layer1.0.conv1", basicMatches);
        Assert.Contains("layer4.1.conv2", basicMatches);
        Assert.DoesNotContain("conv1", basicMatches);
        Assert.DoesNotContain("layer2.0.downsample.0", basicMatches);
        Assert.Equal(["fc"], TaskHeads.Detect(basic));

        using var bottleneck = new ResNetModel(ResNetConfig.ResNet50(numClasses: 4) with { BlocksPerStage = [1, 1, 1, 1] });
        var bottleneckMatches = Matched(bottleneck, LoraDefaultTargets.For(bottleneck)!);
        Assert.Equal(["layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2", "layer4.0.conv2"], bottleneckMatches);
    }

    [Fact]
    public void NoMatchingModuleFailsWithTheModuleNames()
    {
        var model = new TinyBert();
        var error = Assert.Throws<ArgumentException>(() => PeftModel.Create(model, new LoraConfig { TargetModules = ["q_proj", "v_proj"] }));
        Assert.Contains("[q_proj, v_proj] not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("bert.embeddings.word_embeddings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnrecognizedArchitecturesNeedExplicitTargets()
    {
        var model = nn.Sequential(nn.Linear(3, 3));
        var error = Assert.Throws<ArgumentException>(() => PeftModel.Create(model, new LoraConfig()));
        Assert.Contains("TargetModules is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedModulesFailAndLeaveTheModelUnchanged()
    {
        torch.manual_seed(42);
        var model = new TinyBert();
        var keysBefore = model.state_dict().Keys.ToList();

        // "attention" names container modules; "query" alone would be fine.
        var error = Assert.Throws<ArgumentException>(() => PeftModel.Create(model, new LoraConfig { TargetModules = ["query", "attention"] }));

        Assert.Contains("bert.encoder.layer.0.attention", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not supported", error.Message, StringComparison.Ordinal);
        Assert.Equal(keysBefore, model.state_dict().Keys.ToList());
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void ConcretelyTypedFieldsCalledWithForwardAreRefusedWithTheRemedy()
    {
        var model = new TinyBert(style: ChildStyle.DirectForward);
        var error = Assert.Throws<InvalidOperationException>(() => PeftModel.Create(model, new LoraConfig { TargetModules = ["query"] }));

        Assert.Contains("field DirectSelfAttention.query of type Linear", error.Message, StringComparison.Ordinal);
        Assert.Contains("InvokesChildrenWithCall", error.Message, StringComparison.Ordinal);
        Assert.Contains("nn.Module<Tensor, Tensor>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HookedAndSwappedChildrenComputeTheSameAdaptedOutput()
    {
        var swapped = new TinyBert(style: ChildStyle.SwappableFields);
        var hooked = new TinyBert(style: ChildStyle.HookedCalls);
        var config = new LoraConfig { R = 2, TargetModules = ["query", "value"], InitLoraWeights = LoraInitialization.Random, ModulesToSave = [] };
        using var swappedPeft = PeftModel.Create(swapped, config);
        using var hookedPeft = PeftModel.Create(hooked, config);
        using (no_grad())
        {
            var source = swappedPeft.state_dict();
            foreach (var (key, tensor) in hookedPeft.state_dict())
            {
                tensor.copy_(source[key]);
            }
        }

        using Tensor ids = TinyBert.Ids();

        using Tensor expected = swapped.forward(ids);
        using Tensor actual = hooked.forward(ids);
        TensorAssert.Close(expected, actual, 1e-6);
        Assert.Equal(swappedPeft.state_dict().Keys.Order(StringComparer.Ordinal), hookedPeft.state_dict().Keys.Order(StringComparer.Ordinal));

        // The hooked layer stays in its field; the swapped field now holds the LoRA layer.
        var hookedAttention = (HookedSelfAttention)hooked.bert.encoder.layer[0].attention.self;
        Assert.IsType<Linear>(hookedAttention.query);
        var swappedAttention = (SwappableSelfAttention)swapped.bert.encoder.layer[0].attention.self;
        Assert.IsType<LoraLinear>(swappedAttention.query);

        using (hookedPeft.DisableAdapter())
        using (swappedPeft.DisableAdapter())
        {
            using Tensor baseHooked = hooked.forward(ids);
            using Tensor baseSwapped = swapped.forward(ids);
            TensorAssert.Close(baseSwapped, baseHooked, 1e-6);
            TensorAssert.NotClose(actual, baseHooked);
        }
    }

    [Fact]
    public void RankPatternSetsShapesPerModule()
    {
        torch.manual_seed(44);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig
        {
            R = 4,
            TargetModules = ["query", "value"],
            RankPattern = new Dictionary<string, int> { ["value"] = 2 },
            AlphaPattern = new Dictionary<string, double> { [@"^bert\.encoder\.layer\.1\..*query"] = 16 },
        });
        var layers = ((LoraModel)peft.BaseModel).LoraLayers;
        Assert.Equal(4, layers["bert.encoder.layer.0.attention.self.query"].Rank("default"));
        Assert.Equal(2, layers["bert.encoder.layer.0.attention.self.value"].Rank("default"));
        Assert.Equal([2L, 16L], layers["bert.encoder.layer.1.attention.self.value"].WeightA("default").shape);
        Assert.Equal(2.0, layers["bert.encoder.layer.0.attention.self.query"].Scaling("default"));
        Assert.Equal(4.0, layers["bert.encoder.layer.1.attention.self.query"].Scaling("default"));
    }

    [Fact]
    public void ExplicitEmptyModulesToSaveTrainsNoHead()
    {
        torch.manual_seed(45);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { TargetModules = ["query"], ModulesToSave = [] });
        Assert.Empty(peft.BaseModel.ModulesToSaveKeys);
        Assert.All(peft.TrainableParameters(), p => Assert.Equal(2, p.dim()));
    }

    private static List<string> Matched(nn.Module model, ModuleSelector targets)
    {
        var config = new LoraConfig { TargetModules = targets };
        return model.named_modules().Select(m => m.name).Where(n => TargetModuleMatcher.IsTarget(config, n, targets)).ToList();
    }
}
