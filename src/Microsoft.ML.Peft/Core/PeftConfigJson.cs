using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners.Adapters;
using Microsoft.ML.Peft.Tuners.Baselines;
using Microsoft.ML.Peft.Tuners.IA3;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft;

/// <summary>Reads and writes <c>adapter_config.json</c> in Hugging Face PEFT's format, dispatching on <c>peft_type</c>.</summary>
internal static class PeftConfigJson
{
    /// <summary>One reader per method (PEFT's <c>PEFT_TYPE_TO_CONFIG_MAPPING</c>).</summary>
    private static readonly Dictionary<PeftType, Func<ConfigJsonReader, PeftConfig>> Readers = new()
    {
        [PeftType.Lora] = LoraConfigJson.Read,
        [PeftType.IA3] = IA3ConfigJson.Read,
        [PeftType.BottleneckAdapter] = BottleneckAdapterConfigJson.Read,
        [PeftType.HeadOnly] = BaselineConfigJson.ReadHeadOnly,
        [PeftType.BitFit] = BaselineConfigJson.ReadBitFit,
        [PeftType.LayerNormTuning] = BaselineConfigJson.ReadLayerNormTuning,
        [PeftType.FullFineTuning] = BaselineConfigJson.ReadFullFineTuning,
    };

    /// <summary>The file text: sorted keys, two-space indentation, as PEFT's <c>json.dumps(..., indent=2, sort_keys=True)</c>.</summary>
    public static string Write(PeftConfig config)
    {
        var json = new JsonObject();
        config.WriteJson(json);
        return PythonStyleJson.Serialize(json);
    }

    /// <summary>Parses a configuration; keys this library does not know are ignored.</summary>
    /// <exception cref="InvalidDataException">The text is not a JSON object, <c>peft_type</c> is missing or unknown, or a field has the wrong type.</exception>
    public static PeftConfig Read(string text, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{source} is not valid JSON: {exception.Message}", exception);
        }

        if (node is not JsonObject json)
        {
            throw new InvalidDataException($"{source} must hold a JSON object.");
        }

        var reader = new ConfigJsonReader(json, source);
        string peftType = reader.GetString("peft_type") ??
                          throw new InvalidDataException($"{source} has no 'peft_type'; it is not a PEFT adapter configuration.");
        if (!EnumJsonNames.TryParsePeftType(peftType, out PeftType type) || !Readers.TryGetValue(type, out var read))
        {
            throw new InvalidDataException(
                $"{source}: peft_type '{peftType}' is not supported; supported: {string.Join(", ", Readers.Keys.Select(k => k.ToJson()))}.");
        }

        return read(reader);
    }
}
