using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary><see cref="IA3Config"/> as Hugging Face PEFT writes it in <c>adapter_config.json</c> (peft_type <c>"IA3"</c>).</summary>
internal static class IA3ConfigJson
{
    public static void Write(IA3Config config, JsonObject json)
    {
        TunerConfigJson.RemoveUnsetLayerSelection(config, json);
        json["feedforward_modules"] = TunerConfig.SelectorToJson(config.FeedforwardModules);
        json["fan_in_fan_out"] = config.FanInFanOut;
        json["init_ia3_weights"] = config.InitIA3Weights;
    }

    public static IA3Config Read(ConfigJsonReader reader) =>
        TunerConfigJson.ReadShared(reader, new IA3Config
        {
            FeedforwardModules = reader.GetModuleSelector("feedforward_modules"),
            FanInFanOut = reader.GetBool("fan_in_fan_out") ?? false,
            InitIA3Weights = reader.GetBool("init_ia3_weights") ?? true,
        });
}
