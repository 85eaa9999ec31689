using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.IA3;

namespace Microsoft.ML.Peft.Tests.Tuners.IA3;

/// <summary><c>adapter_config.json</c> for (IA)³ in Hugging Face PEFT's layout.</summary>
public sealed class IA3ConfigJsonTests
{
    [Fact]
    public void ReadsAConfigAsPeftWritesIt()
    {
        const string text = """
            {
              "auto_mapping": null,
              "base_model_name_or_path": "bert-base-uncased",
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "feedforward_modules": [
                "output.dense"
              ],
              "inference_mode": true,
              "init_ia3_weights": true,
              "modules_to_save": [
                "classifier",
                "score"
              ],
              "peft_type": "IA3",
              "peft_version": "0.17.1",
              "revision": null,
              "target_modules": [
                "value",
                "output.dense",
                "key"
              ],
              "task_type": "SEQ_CLS"
            }
            """;
        var config = Assert.IsType<IA3Config>(PeftConfigJson.Read(text, "adapter_config.json"));
        Assert.Equal(TaskType.SeqCls, config.TaskType);
        Assert.Equal("bert-base-uncased", config.BaseModelNameOrPath);
        Assert.Equal(["value", "output.dense", "key"], config.TargetModules!.Names);
        Assert.Equal(["output.dense"], config.FeedforwardModules!.Names);
        Assert.Equal(["classifier", "score"], config.ModulesToSave!);
        Assert.True(config.InitIA3Weights);
        Assert.True(config.InferenceMode);
        Assert.True(config.IsFeedforward("bert.encoder.layer.3.attention.output.dense"));
        Assert.False(config.IsFeedforward("bert.encoder.layer.3.attention.self.key"));
    }

    [Fact]
    public void WritesExactlyTheFieldsOfPeftsIA3Config()
    {
        var config = new IA3Config
        {
            TaskType = TaskType.SeqCls,
            TargetModules = ModuleSelector.FromPattern(@".*\.(key|value)"),
            FeedforwardModules = [],
            ModulesToSave = ["classifier"],
            InitIA3Weights = false,
        };
        var json = (JsonObject)JsonNode.Parse(PeftConfigJson.Write(config))!;
        Assert.Equal(
            new[]
            {
                "auto_mapping", "base_model_name_or_path", "fan_in_fan_out", "feedforward_modules", "inference_mode",
                "init_ia3_weights", "modules_to_save", "peft_type", "revision", "target_modules", "task_type",
            },
            json.Select(p => p.Key));
        Assert.Equal(@".*\.(key|value)", (string?)json["target_modules"]);
        Assert.Empty(json["feedforward_modules"]!.AsArray());
        Assert.False((bool)json["init_ia3_weights"]!);

        var reread = (IA3Config)PeftConfigJson.Read(PeftConfigJson.Write(config), "written");
        Assert.Equal(config.TargetModules.Pattern, reread.TargetModules!.Pattern);
        Assert.False(reread.InitIA3Weights);
        Assert.False(reread.IsFeedforward("bert.encoder.layer.0.output.dense"));
    }

    [Fact]
    public void RegularExpressionFeedforwardModulesMustMatchTheWholeName()
    {
        var config = new IA3Config { FeedforwardModules = ModuleSelector.FromPattern(@".*\.layer\.\d+\.output\.dense") };
        Assert.True(config.IsFeedforward("bert.encoder.layer.11.output.dense"));
        Assert.False(config.IsFeedforward("bert.encoder.layer.11.attention.output.dense"));
    }
}
