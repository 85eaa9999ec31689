namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// The baselines in <c>adapter_config.json</c>: PEFT's shared fields (<c>peft_type</c>, <c>task_type</c>,
/// <c>target_modules</c>, <c>exclude_modules</c>, <c>modules_to_save</c>, …) and nothing else.
/// </summary>
internal static class BaselineConfigJson
{
    public static PeftConfig ReadHeadOnly(ConfigJsonReader reader) => TunerConfigJson.ReadShared(reader, new HeadOnlyConfig());

    public static PeftConfig ReadBitFit(ConfigJsonReader reader) => TunerConfigJson.ReadShared(reader, new BitFitConfig());

    public static PeftConfig ReadLayerNormTuning(ConfigJsonReader reader) => TunerConfigJson.ReadShared(reader, new LayerNormTuningConfig());

    public static PeftConfig ReadFullFineTuning(ConfigJsonReader reader) => TunerConfigJson.ReadShared(reader, new FullFineTuningConfig());
}
