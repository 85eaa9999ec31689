using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels;

/// <summary>adapter_config.json and adapter_model.safetensors in Hugging Face PEFT's format, both ways.</summary>
public sealed class AdapterFilesTests : IDisposable
{
    private static readonly TestAdapterWeightsStore Store = TestAdapterWeightsStore.Instance;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "peft-adapter-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void ConfigIsWrittenLikePeftWithSortedKeys()
    {
        var (peft, _) = Trained(new LoraConfig
        {
            TaskType = TaskType.SeqCls,
            BaseModelNameOrPath = "bert-base-uncased",
            R = 4,
            LoraAlpha = 16,
            LoraDropout = 0.1,
            TargetModules = ["value", "query"],
        });
        using (peft)
        {
            peft.SavePretrained(_directory, null, Store);
        }

        string text = File.ReadAllText(Path.Combine(_directory, "adapter_config.json"));
        Assert.StartsWith("{\n  \"alpha_pattern\": {},\n  \"auto_mapping\": null,\n  \"base_model_name_or_path\": \"bert-base-uncased\",", text.ReplaceLineEndings("\n"));
        Assert.Contains("\"lora_dropout\": 0.1,", text);
        Assert.Contains("\"lora_alpha\": 16,", text);
        Assert.Contains("\"target_modules\": [\n    \"query\",\n    \"value\"\n  ],", text.ReplaceLineEndings("\n"));

        JsonObject json = JsonNode.Parse(text)!.AsObject();
        var keys = json.Select(p => p.Key).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal("SEQ_CLS", (string?)json["task_type"]);
        Assert.Equal(4, (int)json["r"]!);
        Assert.Equal("none", (string?)json["bias"]);
        Assert.True((bool)json["inference_mode"]!);
        Assert.False((bool)json["init_lora_weights"]!); // Trained() uses PEFT's init_lora_weights=false
        Assert.False((bool)json["use_dora"]!);
        Assert.False((bool)json["use_rslora"]!);
        Assert.False((bool)json["fan_in_fan_out"]!);
        Assert.Equal(["classifier"], json["modules_to_save"]!.AsArray().Select(n => (string)n!));
        Assert.Null(json["layers_to_transform"]);
        Assert.Null(json["layers_pattern"]);
        Assert.Null(json["revision"]);
        Assert.Empty(json["rank_pattern"]!.AsObject());
        Assert.Empty(json["loftq_config"]!.AsObject());
        Assert.Equal("megatron.core", (string?)json["megatron_core"]);
        // Fields PEFT added after 0.12 are left out at their defaults (0.10-0.12 refuse keys they do not know).
        foreach (string later in new[] { "lora_bias", "eva_config", "corda_config", "trainable_token_indices", "use_qalora", "qalora_group_size", "target_parameters", "exclude_modules" })
        {
            Assert.False(json.ContainsKey(later), later);
        }

        Assert.Contains("\"lora_dropout\": 0.1", text);
    }

    [Fact]
    public void DefaultDropoutIsWrittenAsAPythonFloat()
    {
        var (peft, _) = Trained(new LoraConfig { TargetModules = ["query"] });
        using (peft)
        {
            peft.SavePretrained(_directory, null, Store);
        }

        Assert.Contains("\"lora_dropout\": 0.0,", File.ReadAllText(Path.Combine(_directory, "adapter_config.json")));
    }

    [Fact]
    public void WeightsUsePeftsKeysWithoutTheAdapterName()
    {
        var (peft, _) = Trained(new LoraConfig { TargetModules = ["query", "value"], Bias = LoraBias.None });
        using (peft)
        {
            peft.SavePretrained(_directory, null, Store);
        }

        JsonObject header = TestAdapterWeightsStore.ReadHeader(Path.Combine(_directory, "adapter_model.safetensors"));
        Assert.Equal("pt", (string?)header["__metadata__"]!["format"]);
        var expected = new List<string> { "base_model.model.classifier.bias", "base_model.model.classifier.weight" };
        foreach (int layer in new[] { 0, 1 })
        {
            foreach (string module in new[] { "query", "value" })
            {
                expected.Add($"base_model.model.bert.encoder.layer.{layer}.attention.self.{module}.lora_A.weight");
                expected.Add($"base_model.model.bert.encoder.layer.{layer}.attention.self.{module}.lora_B.weight");
            }
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), header.Select(p => p.Key).Where(k => k != "__metadata__").Order(StringComparer.Ordinal));
        Assert.Equal([8L, 16L], header["base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"]!["shape"]!.AsArray().Select(n => (long)n!));
    }

    [Fact]
    public void RoundTripRestoresConfigWeightsAndLogits()
    {
        var (peft, baseState) = Trained(new LoraConfig
        {
            TaskType = TaskType.SeqCls,
            R = 4,
            LoraAlpha = 8,
            UseRsLora = true,
            TargetModules = ["query", "value", "word_embeddings"],
            RankPattern = new Dictionary<string, int> { ["value"] = 2 },
            AlphaPattern = new Dictionary<string, double> { ["value"] = 2.5 },
            ExcludeModules = ["layer.1.attention.self.query"],
        });
        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        var savedConfig = (LoraConfig)peft.ActivePeftConfig;
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        var model = Fresh(baseState);
        using var loaded = PeftModel.FromPretrained(model, _directory, "default", isTrainable: false, Store);
        using Tensor actual = model.forward(ids);

        TensorAssert.Close(expected, actual, 1e-6);
        var config = (LoraConfig)loaded.ActivePeftConfig;
        Assert.Equal(savedConfig with { InferenceMode = true, TargetModules = config.TargetModules, ExcludeModules = config.ExcludeModules, RankPattern = config.RankPattern, AlphaPattern = config.AlphaPattern, ModulesToSave = config.ModulesToSave }, config);
        Assert.Equal(["query", "value", "word_embeddings"], config.TargetModules!.Names.Order(StringComparer.Ordinal));
        Assert.Equal(["layer.1.attention.self.query"], config.ExcludeModules!.Names);
        Assert.Equal(2, config.RankPattern["value"]);
        Assert.Equal(2.5, config.AlphaPattern["value"]);
        Assert.Equal(["classifier"], config.ModulesToSave!);
        Assert.Empty(loaded.TrainableParameters());
        Assert.DoesNotContain("bert.encoder.layer.1.attention.self.query", loaded.BaseModel.TunerLayers.Keys);
    }

    [Fact]
    public void TrainableLoadTrainsTheAdapterAndTheHead()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        using var loaded = PeftModel.FromPretrained(Fresh(baseState), _directory, "default", isTrainable: true, Store);
        Assert.Equal(2 * 2 + 2, loaded.TrainableParameters().Count());
        Assert.False(loaded.ActivePeftConfig.InferenceMode);
    }

    [Fact]
    public void AnAdapterLoadedForInferenceIsInEvalModeSoItsOutputsAreDeterministic()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], LoraDropout = 0.5, ModulesToSave = [] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        var model = Fresh(baseState);
        model.train();
        using var loaded = PeftModel.FromPretrained(model, _directory, "default", isTrainable: false, Store);
        Assert.DoesNotContain(loaded.modules(), m => m.training);
        using Tensor ids = TinyBert.Ids();
        using Tensor first = model.forward(ids);
        using Tensor second = model.forward(ids);
        TensorAssert.Close(first, second, 0);

        loaded.train();
        loaded.LoadAdapter(_directory, "again", isTrainable: false, Store);
        Assert.DoesNotContain(loaded.modules(), m => m.training);

        using var trainable = PeftModel.FromPretrained(Fresh(baseState), _directory, "default", isTrainable: true, Store);
        Assert.True(trainable.training);
    }

    [Fact]
    public void AnAdapterSavedWithoutTheHeadItsTaskTypeAddsStillLoadsKeepingTheBaseHead()
    {
        // Files written before SEQ_CLS added the head to a given modules_to_save list (and PEFT's, whose load is not
        // strict there) hold no classifier tensors: the head then keeps the base model's values.
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], ModulesToSave = [] });
        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        string configPath = Path.Combine(_directory, "adapter_config.json");
        JsonObject json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json["task_type"] = "SEQ_CLS";
        File.WriteAllText(configPath, json.ToJsonString());

        var model = Fresh(baseState);
        using var loaded = PeftModel.FromPretrained(model, _directory, "default", isTrainable: false, Store);
        Assert.Contains("classifier", loaded.BaseModel.ModulesToSaveKeys);
        using Tensor actual = model.forward(ids);
        TensorAssert.Close(expected, actual, 1e-6);
    }

    [Fact]
    public void DoraMagnitudeAndEmbeddingTensorsUsePeftsSavedNames()
    {
        var (peft, baseState) = Trained(new LoraConfig { R = 2, UseDora = true, TargetModules = ["query", "word_embeddings"], ModulesToSave = [] });
        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        var keys = TestAdapterWeightsStore.ReadHeader(Path.Combine(_directory, "adapter_model.safetensors")).Select(p => p.Key).ToList();
        Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_magnitude_vector", keys);
        Assert.Contains("base_model.model.bert.embeddings.word_embeddings.lora_embedding_A", keys);
        Assert.Contains("base_model.model.bert.embeddings.word_embeddings.lora_embedding_B", keys);
        Assert.Contains("base_model.model.bert.embeddings.word_embeddings.lora_magnitude_vector", keys);
        Assert.DoesNotContain(keys, k => k.Contains("default", StringComparison.Ordinal) || k.EndsWith("lora_magnitude_vector.weight", StringComparison.Ordinal));

        AssertLoadedOnAFreshBaseGives(expected, baseState, ids);
    }

    [Fact]
    public void NonDefaultAdaptersAreSavedAndFoundInTheirSubfolder()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], ModulesToSave = [] });
        peft.AddAdapter("second", new LoraConfig { R = 2, TargetModules = ["value"], InitLoraWeights = LoraInitialization.Random, ModulesToSave = [] });
        peft.SetAdapter("second");
        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        Assert.True(File.Exists(Path.Combine(_directory, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(_directory, "second", "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(_directory, "second", "adapter_model.safetensors")));

        var model = Fresh(baseState);
        using var loaded = PeftModel.FromPretrained(model, _directory, "second", isTrainable: false, Store);
        Assert.Equal("second", loaded.ActiveAdapter);
        using Tensor actual = model.forward(ids);
        TensorAssert.Close(expected, actual, 1e-6);

        loaded.LoadAdapter(_directory, "default", isTrainable: false, Store);
        Assert.Equal(["second", "default"], loaded.BaseModel.AdapterNames);
    }

    [Fact]
    public void FailedWriteLeavesThePreviousFilesAndNoTemporaries()
    {
        var (peft, _) = Trained(new LoraConfig { R = 4, TargetModules = ["query"] });
        using (peft)
        {
            peft.SavePretrained(_directory, null, Store);
            string config = File.ReadAllText(Path.Combine(_directory, "adapter_config.json"));
            byte[] weights = File.ReadAllBytes(Path.Combine(_directory, "adapter_model.safetensors"));

            peft.AddAdapter("default2", new LoraConfig { R = 2, TargetModules = ["query"] });
            Assert.Throws<IOException>(() => peft.SavePretrained(_directory, null, new FailingStore()));

            Assert.Equal(config, File.ReadAllText(Path.Combine(_directory, "adapter_config.json")));
            Assert.Equal(weights, File.ReadAllBytes(Path.Combine(_directory, "adapter_model.safetensors")));
            Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void UnknownKeysAndDuplicatedModulesToSaveAreTolerated()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        EditConfig(json =>
        {
            json["some_future_option"] = new JsonObject { ["nested"] = 1 };
            json["peft_version"] = "0.17.1";
            json["modules_to_save"] = new JsonArray("classifier", "score", "classifier", "score");
        });

        using var loaded = PeftModel.FromPretrained(Fresh(baseState), _directory, "default", isTrainable: false, Store);
        Assert.Equal(["classifier", "score"], ((LoraConfig)loaded.ActivePeftConfig).ModulesToSave!);
        Assert.Equal(["classifier"], loaded.BaseModel.ModulesToSaveKeys);
    }

    [Fact]
    public void UnknownPeftTypeFailsNamingIt()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        EditConfig(json => json["peft_type"] = "PREFIX_TUNING");

        var error = Assert.Throws<InvalidDataException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store));
        Assert.Contains("peft_type 'PREFIX_TUNING' is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("LORA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeMismatchNamesTheKeyAndBothShapes()
    {
        var (peft, baseState) = Trained(new LoraConfig { R = 4, TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        EditConfig(json => json["r"] = 8);

        var model = Fresh(baseState);
        var keysBefore = model.state_dict().Keys.ToList();
        var error = Assert.Throws<WeightLoadException>(() => PeftModel.FromPretrained(model, _directory, "default", false, Store));
        Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("[4, 16]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[8, 16]", error.Message, StringComparison.Ordinal);
        Assert.Equal(keysBefore, model.state_dict().Keys.ToList());
    }

    [Fact]
    public void MissingTargetModuleFails()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        EditConfig(json => json["target_modules"] = new JsonArray("q_proj"));

        var error = Assert.Throws<ArgumentException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store));
        Assert.Contains("[q_proj] not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdapterForMoreLayersThanTheModelFails()
    {
        var (peft, _) = Trained(new LoraConfig { TargetModules = ["query"] }, layers: 3);
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        var model = new TinyBert(layers: 2);
        var error = Assert.Throws<WeightLoadException>(() => PeftModel.FromPretrained(model, _directory, "default", false, Store));
        Assert.Contains("bert.encoder.layer.2.attention.self.query.lora_A.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigWrittenByPeftIsRead()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "adapter_config.json"), """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "bert-base-uncased",
              "bias": "lora_only",
              "eva_config": null,
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": "gaussian",
              "layer_replication": null,
              "layers_pattern": "layer",
              "layers_to_transform": 1,
              "loftq_config": {},
              "lora_alpha": 16,
              "lora_bias": false,
              "lora_dropout": 0.05,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": ["classifier", "score"],
              "peft_type": "LORA",
              "peft_version": "0.17.0",
              "r": 8,
              "rank_pattern": {"value": 4},
              "revision": "main",
              "target_modules": ["value", "query"],
              "target_parameters": null,
              "task_type": "SEQ_CLS",
              "trainable_token_indices": null,
              "use_dora": false,
              "use_qalora": false,
              "use_rslora": true
            }
            """);

        var config = (LoraConfig)PeftConfigJson.Read(File.ReadAllText(Path.Combine(_directory, "adapter_config.json")), "test");
        Assert.Equal(TaskType.SeqCls, config.TaskType);
        Assert.Equal("bert-base-uncased", config.BaseModelNameOrPath);
        Assert.Equal("main", config.Revision);
        Assert.Equal(LoraBias.LoraOnly, config.Bias);
        Assert.Equal(LoraInitialization.Gaussian, config.InitLoraWeights);
        Assert.Equal(["layer"], config.LayersPattern!);
        Assert.Equal([1], config.LayersToTransform!);
        Assert.Equal(16, config.LoraAlpha);
        Assert.Equal(0.05, config.LoraDropout);
        Assert.Equal(8, config.R);
        Assert.Equal(4, config.RankPattern["value"]);
        Assert.True(config.UseRsLora);
        Assert.True(config.InferenceMode);
        Assert.Equal(["value", "query"], config.TargetModules!.Names);

        // Written back, the file reads the same.
        var again = (LoraConfig)PeftConfigJson.Read(PeftConfigJson.Write(config), "again");
        Assert.Equal(config.Bias, again.Bias);
        Assert.Equal(config.InitLoraWeights, again.InitLoraWeights);
        Assert.Equal(config.LayersToTransform, again.LayersToTransform);
        Assert.Equal(config.RankPattern, again.RankPattern);
        Assert.Equal(config.TargetModules.Names.Order(StringComparer.Ordinal), again.TargetModules!.Names);
    }

    [Fact]
    public void RegularExpressionTargetsRoundTripAsStrings()
    {
        var config = new LoraConfig { TargetModules = ModuleSelector.FromPattern(@".*\.layer\.\d+\..*(query|value)") };
        string text = PeftConfigJson.Write(config);
        Assert.Contains(@"""target_modules"": "".*\\.layer\\.\\d+\\..*(query|value)""", text);
        Assert.Equal(config.TargetModules.Pattern, ((LoraConfig)PeftConfigJson.Read(text, "regex")).TargetModules!.Pattern);
    }

    [Fact]
    public void BiasAllSavesAndRestoresEveryBias()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], Bias = LoraBias.All, ModulesToSave = [] });
        using (no_grad())
        {
            foreach (var (name, parameter) in peft.named_parameters().Where(p => p.name.EndsWith("bias", StringComparison.Ordinal)))
            {
                parameter.add_(0.25);
            }
        }

        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        Assert.Contains(peft.GetAdapterStateDict().Keys, k => k == "base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.bias");
        Assert.Contains(peft.GetAdapterStateDict().Keys, k => k == "base_model.model.bert.encoder.layer.0.output.dense.bias");
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();

        AssertLoadedOnAFreshBaseGives(expected, baseState, ids);
    }

    [Fact]
    public void APeftBiasAllFileWithTheHeadsWrapperCopiesLoads()
    {
        // PEFT's bias="all" keeps every key with "bias" in it, so its files also hold the modules-to-save wrapper's
        // classifier.original_module.bias (the base's) and classifier.modules_to_save.bias (a copy of classifier.bias).
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], Bias = LoraBias.All });
        using Tensor ids = TinyBert.Ids();
        using Tensor expected = peft.Model.forward(ids);
        peft.SavePretrained(_directory, null, Store);
        var tensors = new Dictionary<string, Tensor>(peft.GetAdapterStateDict());
        Tensor headBias = tensors["base_model.model.classifier.bias"];
        tensors["base_model.model.classifier.original_module.bias"] = torch.randn_like(headBias);
        tensors["base_model.model.classifier.modules_to_save.bias"] = headBias;
        Store.Save(Path.Combine(_directory, "adapter_model.safetensors"), tensors, null);
        peft.Dispose();

        AssertLoadedOnAFreshBaseGives(expected, baseState, ids);
    }

    [Fact]
    public void AHeadOnlyUnderWrapperKeysIsNotTakenForPeftsBiasCopies()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"], ModulesToSave = [] });
        peft.SavePretrained(_directory, null, Store);
        var tensors = new Dictionary<string, Tensor>(peft.GetAdapterStateDict())
        {
            ["base_model.model.classifier.modules_to_save.weight"] = torch.randn(3, 16),
            ["base_model.model.classifier.modules_to_save.bias"] = torch.randn(3),
        };
        Store.Save(Path.Combine(_directory, "adapter_model.safetensors"), tensors, null);
        peft.Dispose();
        EditConfig(json => json["task_type"] = "SEQ_CLS");

        var error = Assert.Throws<WeightLoadException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store));
        Assert.Contains("classifier.modules_to_save.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnActivatedLoraConfigIsRefusedRatherThanReadAsPlainLora()
    {
        var (peft, baseState) = Trained(new LoraConfig { TargetModules = ["query"] });
        peft.SavePretrained(_directory, null, Store);
        peft.Dispose();
        EditConfig(json => json["alora_invocation_tokens"] = new JsonArray(5, 6));
        var error = Assert.Throws<InvalidDataException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store));
        Assert.Contains("alora_invocation_tokens", error.Message, StringComparison.Ordinal);

        EditConfig(json =>
        {
            json["alora_invocation_tokens"] = null;
            json["kasa_config"] = new JsonObject();
        });
        Assert.Contains("kasa_config", Assert.Throws<InvalidDataException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store)).Message, StringComparison.Ordinal);

        EditConfig(json =>
        {
            json.Remove("kasa_config");
            json["use_bdlora"] = false;
            json["init_lora_weights"] = "lora_ga";
        });
        Assert.Contains("is unknown here", Assert.Throws<InvalidDataException>(() => PeftModel.FromPretrained(Fresh(baseState), _directory, "default", false, Store)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoraOnlyBiasTrainsAndSavesTheBiasesOfTheAdaptedLayers()
    {
        var (peft, _) = Trained(new LoraConfig { TargetModules = ["query"], Bias = LoraBias.LoraOnly, ModulesToSave = [] });
        using (peft)
        {
            string[] expected =
            [
                "base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.bias",
                "base_model.model.bert.encoder.layer.1.attention.self.query.base_layer.bias",
            ];
            Assert.Equal(expected, peft.GetAdapterStateDict().Keys.Where(k => k.EndsWith("bias", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.Equal(expected, peft.named_parameters().Where(p => p.parameter.requires_grad && p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.name).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>Loads the saved adapter (inference mode) onto a fresh copy of the base and checks its output on <paramref name="ids"/>.</summary>
    private void AssertLoadedOnAFreshBaseGives(Tensor expected, Dictionary<string, Tensor> baseState, Tensor ids)
    {
        var model = Fresh(baseState);
        using var loaded = PeftModel.FromPretrained(model, _directory, "default", isTrainable: false, Store);
        using Tensor actual = model.forward(ids);
        TensorAssert.Close(expected, actual, 1e-6);
    }

    private void EditConfig(Action<JsonObject> edit)
    {
        string path = Path.Combine(_directory, "adapter_config.json");
        JsonObject json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>A model with a LoRA adapter whose weights are random (B ≠ 0) and a changed head, plus its pristine base weights.</summary>
    private static (PeftModel<TinyBert> Peft, Dictionary<string, Tensor> BaseState) Trained(LoraConfig config, int layers = 2)
    {
        var model = new TinyBert(layers: layers);
        var baseState = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        var peft = PeftModel.Create(model, config with { InitLoraWeights = LoraInitialization.Random });
        using (no_grad())
        {
            foreach (string key in peft.BaseModel.ModulesToSaveKeys)
            {
                foreach (var parameter in ModuleTree.Get(model, key).parameters())
                {
                    parameter.mul_(-2);
                }
            }
        }

        return (peft, baseState);
    }

    private static TinyBert Fresh(Dictionary<string, Tensor> baseState, int layers = 2)
    {
        var model = new TinyBert(layers: layers);
        ModuleWeights.Load(model, new InMemoryTensorSource(baseState));
        return model;
    }

    private sealed class FailingStore : IAdapterWeightsStore
    {
        public void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
        {
            File.WriteAllText(path, "half");
            throw new IOException("disk full");
        }

        public ITensorSource Open(string path) => throw new NotSupportedException();
    }
}
