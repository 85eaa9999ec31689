using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners.IA3;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.IA3;

/// <summary>(IA)³ on the library's real BERT and RoBERTa classifiers and ResNet: default targets, identity at start, PEFT's files.</summary>
public sealed class IA3RealModelTests
{
    public static TheoryData<string> Models => new() { "BERT", "RoBERTa", "ResNet" };

    [Theory]
    [MemberData(nameof(Models))]
    public void StartsAsTheIdentityOnTheDefaultTargets(string name)
    {
        RealModel real = RealModel.ByName(name);
        using Tensor expected = real.BaseLogits();
        using var peft = PeftModel.Create(real.Fresh(), new IA3Config());
        var layers = ((IA3Model)peft.BaseModel).IA3Layers;
        var config = (IA3Config)peft.ActivePeftConfig;
        if (name != "ResNet")
        {
            // PEFT's bert entries: key and value scale their outputs; both output projections (by the suffix rule) their inputs.
            Assert.Equal(["key", "output.dense", "value"], config.TargetModules!.Names.Order(StringComparer.Ordinal));
            Assert.Equal(["output.dense"], config.FeedforwardModules!.Names);
            Assert.Equal(2 * 4, layers.Count);
            Assert.Equal(2 * 2, layers.Values.Count(l => l.IsFeedforward));
            Assert.Equal(["classifier"], config.ModulesToSave!);
        }
        else
        {
            Assert.Equal(4 * 2, layers.Count);
            Assert.All(layers, l => Assert.Matches(@"^layer\d\.0\.conv[12]$", l.Key));
            Assert.All(layers.Values, l => Assert.True(l.IsFeedforward));
            Assert.Equal(["fc"], config.ModulesToSave!);
        }

        using var noGrad = no_grad();
        using Tensor actual = real.Run(peft.Model);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6), "(IA)³ with vectors of ones changed the logits.");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TrainedVectorsRoundTripThroughPeftsFiles(string name)
    {
        using var folder = new TemporaryFolder();
        RealModel real = RealModel.ByName(name);
        using Tensor baseLogits = real.BaseLogits();
        using var peft = PeftModel.Create(real.Fresh(), new IA3Config { TaskType = name != "ResNet" ? TaskType.SeqCls : null });
        MethodAssert.Perturb(peft, seed: 21);
        using var noGrad = no_grad();
        using Tensor adapted = real.Run(peft.Model).detach().clone();
        Assert.False(adapted.allclose(baseLogits, rtol: 0, atol: 1e-4), "The (IA)³ layers are not in the forward path.");

        using (peft.DisableAdapter())
        {
            using Tensor disabled = real.Run(peft.Model);
            MethodAssert.SameLogits(baseLogits, disabled, "DisableAdapter does not give the base model's logits");
        }

        peft.Merge();
        using (Tensor merged = real.Run(peft.Model))
        {
            MethodAssert.SameLogits(adapted, merged, "Merged logits differ from unmerged");
        }

        peft.Unmerge();
        peft.SavePretrained(folder.Path);

        JsonObject json = MethodAssert.ReadConfig(folder.Path);
        string head = name != "ResNet" ? "classifier" : "fc";
        Assert.Equal("IA3", (string?)json["peft_type"]);
        Assert.Equal(name != "ResNet" ? "SEQ_CLS" : null, (string?)json["task_type"]);
        Assert.False((bool)json["fan_in_fan_out"]!);
        Assert.True((bool)json["init_ia3_weights"]!);
        Assert.True((bool)json["inference_mode"]!);
        Assert.Equal([head], json["modules_to_save"]!.AsArray().Select(n => (string?)n));
        Assert.False(json.ContainsKey("layers_to_transform"), "PEFT's IA3Config has no layers_to_transform.");
        if (name != "ResNet")
        {
            Assert.Equal(["key", "output.dense", "value"], json["target_modules"]!.AsArray().Select(n => (string?)n));
            Assert.Equal(["output.dense"], json["feedforward_modules"]!.AsArray().Select(n => (string?)n));
        }
        else
        {
            Assert.Equal(@"(.*\.)?layer\d+\.\d+\.conv\d+", (string?)json["target_modules"]);
            Assert.Equal(@"(.*\.)?layer\d+\.\d+\.conv\d+", (string?)json["feedforward_modules"]);
        }

        var expectedKeys = ((IA3Model)peft.BaseModel).IA3Layers.Keys.Select(k => $"base_model.model.{k}.ia3_l")
            .Concat(peft.Model.named_parameters().Where(p => p.name.StartsWith(head + ".", StringComparison.Ordinal)).Select(p => "base_model.model." + p.name))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expectedKeys.Order(StringComparer.Ordinal), MethodAssert.SavedKeys(folder.Path).Order(StringComparer.Ordinal));

        using var reloaded = PeftModel.FromPretrained(real.Fresh(), folder.Path);
        var config = (IA3Config)reloaded.ActivePeftConfig;
        Assert.Equal(((IA3Config)peft.ActivePeftConfig).FeedforwardModules!.ToString(), config.FeedforwardModules!.ToString());
        Assert.True(config.InferenceMode);
        Assert.Empty(reloaded.TrainableParameters());
        using Tensor again = real.Run(reloaded.Model);
        MethodAssert.SameLogits(adapted, again, "The reloaded (IA)³ adapter gives other logits");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void GradientsReachOnlyTheVectorsAndTheHead(string name)
    {
        RealModel real = RealModel.ByName(name);
        using var peft = PeftModel.Create(real.Fresh(), new IA3Config());
        string head = name != "ResNet" ? "classifier" : "fc";
        MethodAssert.OnlyTrainableParametersGetGradients(
            peft,
            () => real.Run(peft.Model),
            n => n.Contains(".ia3_l.", StringComparison.Ordinal) || n.StartsWith($"base_model.model.{head}.", StringComparison.Ordinal));
    }
}
