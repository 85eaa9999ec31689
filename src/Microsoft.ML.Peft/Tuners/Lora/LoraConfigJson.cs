using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// <see cref="LoraConfig"/> as Hugging Face PEFT writes it in <c>adapter_config.json</c>: every field of PEFT's
/// <c>LoraConfig</c> with its default, so PEFT reads our files and we read PEFT's.
/// </summary>
internal static class LoraConfigJson
{
    public static void Write(LoraConfig config, JsonObject json)
    {
        json["r"] = config.R;
        json["lora_alpha"] = Number(config.LoraAlpha);
        json["lora_dropout"] = PythonStyleJson.Float(config.LoraDropout);
        json["fan_in_fan_out"] = config.FanInFanOut;
        json["bias"] = config.Bias switch
        {
            LoraBias.None => "none",
            LoraBias.All => "all",
            _ => "lora_only",
        };
        json["use_rslora"] = config.UseRsLora;
        json["use_dora"] = config.UseDora;
        json["init_lora_weights"] = config.InitLoraWeights switch
        {
            LoraInitialization.Default => true,
            LoraInitialization.Random => false,
            _ => (JsonNode)"gaussian",
        };
        json["rank_pattern"] = new JsonObject(config.RankPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        json["alpha_pattern"] = new JsonObject(config.AlphaPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Number(p.Value))));

        // Fields of PEFT's LoraConfig this library does not implement, with PEFT's defaults. Only those PEFT 0.10-0.12
        // already had: those releases refuse unknown keys (TypeError), and later ones default every field left out
        // (eva_config, corda_config, lora_bias, trainable_token_indices, use_qalora, target_parameters, ...).
        json["layer_replication"] = null;
        json["loftq_config"] = new JsonObject();
        json["megatron_config"] = null;
        json["megatron_core"] = "megatron.core";
    }

    public static LoraConfig Read(ConfigJsonReader reader)
    {
        RejectUnsupported(reader);
        return new LoraConfig
        {
            TaskType = PeftConfig.ReadTaskType(reader),
            BaseModelNameOrPath = reader.GetString("base_model_name_or_path"),
            Revision = reader.GetString("revision"),
            InferenceMode = reader.GetBool("inference_mode") ?? false,
            TargetModules = reader.GetModuleSelector("target_modules"),
            ExcludeModules = reader.GetModuleSelector("exclude_modules"),
            LayersToTransform = reader.GetIntOrIntList("layers_to_transform"),
            LayersPattern = reader.GetStringOrStringList("layers_pattern"),
            ModulesToSave = reader.GetStringOrStringList("modules_to_save")?.Distinct(StringComparer.Ordinal).ToList() ?? [],
            R = reader.GetInt("r") ?? 8,
            LoraAlpha = reader.GetDouble("lora_alpha") ?? 8,
            LoraDropout = reader.GetDouble("lora_dropout") ?? 0,
            FanInFanOut = reader.GetBool("fan_in_fan_out") ?? false,
            Bias = ReadBias(reader),
            UseRsLora = reader.GetBool("use_rslora") ?? false,
            UseDora = reader.GetBool("use_dora") ?? false,
            InitLoraWeights = ReadInit(reader),
            RankPattern = reader.GetIntMap("rank_pattern"),
            AlphaPattern = reader.GetDoubleMap("alpha_pattern"),
        };
    }

    /// <summary>PEFT writes alphas as Python ints when they are whole numbers.</summary>
    private static JsonNode Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? (long)value : PythonStyleJson.Float(value);

    private static LoraBias ReadBias(ConfigJsonReader reader) => reader.GetString("bias") switch
    {
        null or "none" => LoraBias.None,
        "all" => LoraBias.All,
        "lora_only" => LoraBias.LoraOnly,
        var other => throw new InvalidDataException($"{reader.Source}: 'bias' must be \"none\", \"all\" or \"lora_only\", but it is \"{other}\"."),
    };

    private static LoraInitialization ReadInit(ConfigJsonReader reader)
    {
        JsonNode? node = reader.GetNode("init_lora_weights");
        if (node is null)
        {
            return LoraInitialization.Default;
        }

        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>() ? LoraInitialization.Default : LoraInitialization.Random;
        }

        string name = reader.GetString("init_lora_weights")!;
        return name.ToLowerInvariant() switch
        {
            "gaussian" => LoraInitialization.Gaussian,

            // Data-driven initializations that leave the base weights alone: a trained adapter of this kind is plain LoRA.
            "eva" or "orthogonal" => LoraInitialization.Default,
            var changer when changer.StartsWith("pissa", StringComparison.Ordinal) || changer is "olora" or "corda" or "loftq" =>
                throw new InvalidDataException(
                    $"{reader.Source}: init_lora_weights \"{name}\" is not supported: it changes the base weights " +
                    "(PiSSA, OLoRA, CorDA, LoftQ), so the adapter cannot be used with the original base model here."),
            _ => throw new InvalidDataException(
                $"{reader.Source}: init_lora_weights \"{name}\" is unknown here; expected true, false, \"gaussian\", \"eva\" or \"orthogonal\"."),
        };
    }

    private static void RejectUnsupported(ConfigJsonReader reader)
    {
        if (reader.GetBool("lora_bias") == true)
        {
            throw new InvalidDataException($"{reader.Source}: lora_bias = true (a bias on LoRA's B) is not supported.");
        }

        if (reader.GetBool("use_qalora") == true)
        {
            throw new InvalidDataException($"{reader.Source}: use_qalora = true (quantization-aware LoRA) is not supported.");
        }

        // Set, these change what the adapter computes (aLoRA applies only after its invocation tokens) or which tensors
        // it holds; read as plain LoRA they would give wrong outputs without an error.
        foreach (string key in new[] { "layer_replication", "megatron_config", "trainable_token_indices", "target_parameters", "alora_invocation_tokens" })
        {
            JsonNode? node = reader.GetNode(key);
            if (node is not null && !(node is JsonArray { Count: 0 } || node is JsonObject { Count: 0 }))
            {
                throw new InvalidDataException($"{reader.Source}: '{key}' is set, which this library does not support.");
            }
        }

        // Variants configured by an object or flag of their own: any value but null/false turns them on (an empty object too).
        foreach (string key in new[] { "use_bdlora", "arrow_config", "kasa_config", "monteclora_config", "velora_config" })
        {
            JsonNode? node = reader.GetNode(key);
            if (node is not null && !(node is JsonValue value && value.GetValueKind() == JsonValueKind.False))
            {
                throw new InvalidDataException($"{reader.Source}: '{key}' is set, which this library does not support.");
            }
        }
    }
}
