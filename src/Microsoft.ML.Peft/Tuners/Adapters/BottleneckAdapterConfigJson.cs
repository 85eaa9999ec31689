using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// <see cref="BottleneckAdapterConfig"/> in <c>adapter_config.json</c>: PEFT's shared fields plus <c>variant</c>,
/// <c>reduction_factor</c>, <c>non_linearity</c>, <c>scaling</c> and <c>init_adapter_weights</c> (this library's format).
/// </summary>
internal static class BottleneckAdapterConfigJson
{
    private static readonly (BottleneckVariant Value, string Name)[] Variants =
    [
        (BottleneckVariant.Houlsby, "houlsby"),
        (BottleneckVariant.Pfeiffer, "pfeiffer"),
        (BottleneckVariant.Parallel, "parallel"),
    ];

    private static readonly (AdapterNonLinearity Value, string Name)[] NonLinearities =
    [
        (AdapterNonLinearity.Relu, "relu"),
        (AdapterNonLinearity.Gelu, "gelu"),
        (AdapterNonLinearity.Swish, "swish"),
        (AdapterNonLinearity.Tanh, "tanh"),
    ];

    public static void Write(BottleneckAdapterConfig config, JsonObject json)
    {
        TunerConfigJson.RemoveUnsetLayerSelection(config, json);
        json["variant"] = Variants.First(v => v.Value == config.Variant).Name;
        json["reduction_factor"] = config.ReductionFactor;
        json["non_linearity"] = config.NonLinearity is { } f ? NonLinearities.First(n => n.Value == f).Name : null;
        json["scaling"] = config.Scaling is { } s ? PythonStyleJson.Float(s) : null;
        json["init_adapter_weights"] = config.InitAdapterWeights;
    }

    public static BottleneckAdapterConfig Read(ConfigJsonReader reader) =>
        TunerConfigJson.ReadShared(reader, new BottleneckAdapterConfig
        {
            Variant = ReadVariant(reader),
            ReductionFactor = reader.GetInt("reduction_factor"),
            NonLinearity = ReadNonLinearity(reader),
            Scaling = reader.GetDouble("scaling"),
            InitAdapterWeights = reader.GetBool("init_adapter_weights") ?? true,
        });

    private static BottleneckVariant ReadVariant(ConfigJsonReader reader)
    {
        string? name = reader.GetString("variant");
        if (name is null)
        {
            return BottleneckVariant.Houlsby;
        }

        foreach (var (value, candidate) in Variants)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw new InvalidDataException(
            $"{reader.Source}: 'variant' must be one of {string.Join(", ", Variants.Select(v => $"\"{v.Name}\""))}, but it is \"{name}\".");
    }

    private static AdapterNonLinearity? ReadNonLinearity(ConfigJsonReader reader)
    {
        string? name = reader.GetString("non_linearity");
        if (name is null)
        {
            return null;
        }

        if (string.Equals(name, "silu", StringComparison.OrdinalIgnoreCase))
        {
            return AdapterNonLinearity.Swish;
        }

        foreach (var (value, candidate) in NonLinearities)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw new InvalidDataException(
            $"{reader.Source}: 'non_linearity' must be one of {string.Join(", ", NonLinearities.Select(n => $"\"{n.Name}\""))} or \"silu\", but it is \"{name}\".");
    }
}
