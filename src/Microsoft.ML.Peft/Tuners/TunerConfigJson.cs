namespace Microsoft.ML.Peft.Tuners;

/// <summary>Reads the fields every <see cref="TunerConfig"/> shares from <c>adapter_config.json</c>, for the methods' readers.</summary>
internal static class TunerConfigJson
{
    /// <summary><paramref name="config"/> with the shared fields of the file filled in (missing ones keep PEFT's defaults).</summary>
    public static T ReadShared<T>(ConfigJsonReader reader, T config)
        where T : TunerConfig =>
        (T)((TunerConfig)config with
        {
            TaskType = PeftConfig.ReadTaskType(reader),
            BaseModelNameOrPath = reader.GetString("base_model_name_or_path"),
            Revision = reader.GetString("revision"),
            InferenceMode = reader.GetBool("inference_mode") ?? false,
            TargetModules = reader.GetModuleSelector("target_modules"),
            ExcludeModules = reader.GetModuleSelector("exclude_modules"),
            LayersToTransform = reader.GetIntOrIntList("layers_to_transform"),
            LayersPattern = reader.GetStringOrStringList("layers_pattern"),

            // A saved adapter records the modules it trained; none recorded means none (not the automatic head).
            ModulesToSave = reader.GetStringOrStringList("modules_to_save")?.Distinct(StringComparer.Ordinal).ToList() ?? [],
        });

    /// <summary>
    /// Drops <c>layers_to_transform</c> and <c>layers_pattern</c> when unset: PEFT's configs of methods other than LoRA
    /// (IA3) do not declare them, and older PEFT versions refuse keys they do not know.
    /// </summary>
    public static void RemoveUnsetLayerSelection(TunerConfig config, System.Text.Json.Nodes.JsonObject json)
    {
        if (config.LayersToTransform is null)
        {
            json.Remove("layers_to_transform");
        }

        if (config.LayersPattern is null)
        {
            json.Remove("layers_pattern");
        }
    }
}
