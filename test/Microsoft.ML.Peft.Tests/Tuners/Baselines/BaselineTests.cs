using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Tuners.Baselines;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Baselines;

/// <summary>The baselines through the PeftModel API on the real BERT classifier and ResNet: what trains, files, reloading.</summary>
public sealed class BaselineTests
{
    public static TheoryData<string, string> ModelsAndBaselines
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string model in new[] { "BERT", "RoBERTa", "ResNet" })
            {
                foreach (string baseline in new[] { "HEAD_ONLY", "BITFIT", "LAYERNORM_TUNING", "FULL_FINE_TUNING" })
                {
                    data.Add(model, baseline);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ModelsAndBaselines))]
    public void ExactlyTheBaselinesParametersTrainAndGetGradients(string name, string baseline)
    {
        RealModel real = RealModel.ByName(name);
        using var peft = PeftModel.Create(real.Fresh(), Config(baseline));
        Assert.Empty(peft.BaseModel.TunerLayers);
        string head = Head(name);
        var norms = peft.Model.named_modules().Where(m => m.module is LayerNorm or TorchSharp.Modules.BatchNorm).Select(m => m.name + ".").ToList();
        bool Expected(string parameterName)
        {
            string key = parameterName["base_model.model.".Length..];
            return key.StartsWith(head + ".", StringComparison.Ordinal) || baseline switch
            {
                "BITFIT" => key.EndsWith(".bias", StringComparison.Ordinal),
                "LAYERNORM_TUNING" => norms.Any(n => key.StartsWith(n, StringComparison.Ordinal) && key.LastIndexOf('.') == n.Length - 1),
                "FULL_FINE_TUNING" => true,
                _ => false,
            };
        }

        if (baseline != "FULL_FINE_TUNING")
        {
            Assert.Contains(peft.named_parameters(), p => !Expected(p.name));
        }

        MethodAssert.OnlyTrainableParametersGetGradients(peft, () => real.Run(peft.Model), Expected);
        Assert.Equal(
            peft.TrainableParameters().Sum(p => p.numel()),
            peft.GetTrainableParameterReport().TrainableParameters);
    }

    [Theory]
    [MemberData(nameof(ModelsAndBaselines))]
    public void TrainedTensorsRoundTripOntoAFreshBase(string name, string baseline)
    {
        using var folder = new TemporaryFolder();
        RealModel real = RealModel.ByName(name);
        using Tensor baseLogits = real.BaseLogits();
        using var peft = PeftModel.Create(real.Fresh(), Config(baseline));
        MethodAssert.Perturb(peft, seed: 51, scale: 0.05);
        using var noGrad = no_grad();
        using Tensor trained = real.Run(peft.Model).detach().clone();
        Assert.False(trained.allclose(baseLogits, rtol: 0, atol: 1e-4), "Training the baseline's tensors changed nothing.");

        // Nothing to merge: merging and unmerging leave the model as it is.
        peft.Merge();
        Assert.False(peft.BaseModel.IsMerged);
        peft.Unmerge();
        using (Tensor afterMerge = real.Run(peft.Model))
        {
            MethodAssert.SameLogits(trained, afterMerge, "Merge changed a baseline");
        }

        peft.SavePretrained(folder.Path);
        JsonObject json = MethodAssert.ReadConfig(folder.Path);
        Assert.Equal(baseline, (string?)json["peft_type"]);
        Assert.Equal(new[] { Head(name) }, json["modules_to_save"]!.AsArray().Select(n => (string)n!));
        Assert.False(json.ContainsKey("layers_to_transform"));

        // The file holds exactly the trainable parameters (plus, for normalization tuning and full fine-tuning, the
        // statistics of the normalization layers), under the model's own keys.
        var trainableKeys = peft.Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => "base_model.model." + p.name).ToHashSet();
        var saved = MethodAssert.SavedKeys(folder.Path);
        var buffers = saved.Except(trainableKeys).ToList();
        Assert.True(trainableKeys.IsSubsetOf(saved), $"Not saved: {string.Join(", ", trainableKeys.Except(saved).Take(5))}.");
        Assert.All(buffers, k => Assert.Matches(@"\.(running_mean|running_var|num_batches_tracked)$", k));
        Assert.True(buffers.Count == 0 || baseline is "LAYERNORM_TUNING" or "FULL_FINE_TUNING", $"{baseline} saved buffers: {string.Join(", ", buffers.Take(3))}.");
        if (name == "ResNet" && baseline is "LAYERNORM_TUNING" or "FULL_FINE_TUNING")
        {
            Assert.Contains("base_model.model.layer1.0.bn1.running_var", saved);
        }

        using var reloaded = PeftModel.FromPretrained(real.Fresh(), folder.Path);
        Assert.Equal(baseline, reloaded.ActivePeftConfig.PeftType.ToJson());
        Assert.Empty(reloaded.TrainableParameters());
        using Tensor again = real.Run(reloaded.Model);
        MethodAssert.SameLogits(trained, again, "The reloaded baseline gives other logits");

        using var trainable = PeftModel.FromPretrained(real.Fresh(), folder.Path, isTrainable: true);
        Assert.Equal(peft.GetTrainableParameterReport(), trainable.GetTrainableParameterReport());
    }

    [Fact]
    public void AFileMissingABiasFailsNamingIt()
    {
        using var folder = new TemporaryFolder();
        RealModel real = RealModel.Bert();
        using (var peft = PeftModel.Create(real.Fresh(), new BitFitConfig()))
        {
            peft.SavePretrained(folder.Path);
        }

        string weights = Path.Combine(folder.Path, "adapter_model.safetensors");
        Dictionary<string, Tensor> tensors;
        using (var source = SafeTensors.Open(weights))
        {
            tensors = source.Keys.Where(k => k != "base_model.model.bert.pooler.dense.bias").ToDictionary(k => k, k => source.Read(k).clone());
        }

        SafeTensors.Save(weights, tensors);
        var error = Assert.Throws<WeightLoadException>(() => PeftModel.FromPretrained(real.Fresh(), folder.Path));
        Assert.Contains("base_model.model.bert.pooler.dense.bias", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetModulesNarrowBitFitToTheSelectedModules()
    {
        RealModel real = RealModel.Bert();
        using var peft = PeftModel.Create(real.Fresh(), new BitFitConfig { TargetModules = ["query", "value"], ModulesToSave = [] });
        var trainable = peft.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            Enumerable.Range(0, 2).SelectMany(i => new[] { "query", "value" }.Select(m => $"base_model.model.bert.encoder.layer.{i}.attention.self.{m}.bias")).Order(StringComparer.Ordinal),
            trainable);
    }

    [Fact]
    public void AModelHoldsOneBaselineAndHeadOnlyTakesNoTargets()
    {
        RealModel real = RealModel.Bert();
        using var peft = PeftModel.Create(real.Fresh(), new BitFitConfig());
        var second = Assert.Throws<ArgumentException>(() => peft.AddAdapter("other", new LayerNormTuningConfig()));
        Assert.Contains("one baseline adapter", second.Message, StringComparison.Ordinal);

        var targets = Assert.Throws<ArgumentException>(() => PeftModel.Create(real.Fresh(), new HeadOnlyConfig { TargetModules = ["query"] }));
        Assert.Contains("HEAD_ONLY does not take target_modules", targets.Message, StringComparison.Ordinal);

        var nothing = Assert.Throws<ArgumentException>(() => PeftModel.Create(real.Fresh(), new HeadOnlyConfig { ModulesToSave = [] }));
        Assert.Contains("would train nothing", nothing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownPeftTypeStillFailsListingEverySupportedType()
    {
        using var folder = new TemporaryFolder();
        RealModel real = RealModel.Bert();
        using (var peft = PeftModel.Create(real.Fresh(), new HeadOnlyConfig()))
        {
            peft.SavePretrained(folder.Path);
        }

        string configPath = Path.Combine(folder.Path, "adapter_config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"HEAD_ONLY\"", "\"PREFIX_TUNING\"", StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => PeftModel.FromPretrained(real.Fresh(), folder.Path));
        Assert.Contains("peft_type 'PREFIX_TUNING' is not supported", error.Message, StringComparison.Ordinal);
        foreach (string type in new[] { "LORA", "IA3", "BOTTLENECK_ADAPTER", "HEAD_ONLY", "BITFIT", "LAYERNORM_TUNING", "FULL_FINE_TUNING" })
        {
            Assert.Contains(type, error.Message, StringComparison.Ordinal);
        }
    }

    private static BaselineConfig Config(string baseline) => baseline switch
    {
        "HEAD_ONLY" => new HeadOnlyConfig(),
        "BITFIT" => new BitFitConfig(),
        "LAYERNORM_TUNING" => new LayerNormTuningConfig(),
        _ => new FullFineTuningConfig(),
    };

    private static string Head(string name) => name != "ResNet" ? "classifier" : "fc";
}
