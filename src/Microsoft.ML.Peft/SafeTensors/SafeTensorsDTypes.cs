using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// The safetensors dtype names this library reads and writes, and how they map to TorchSharp element types.
/// </summary>
internal static class SafeTensorsDTypes
{
    private sealed record Entry(string Name, torch.ScalarType ScalarType, int ElementSize, int ReferenceRank);

    // ReferenceRank is the position of the dtype in the reference implementation's Dtype enum
    // (huggingface/safetensors, safetensors/src/tensor.rs). Its writer orders tensors by that position,
    // descending, so we need it to lay files out byte for byte the same way.
    private static readonly Entry[] Supported =
    [
        new("BOOL", torch.ScalarType.Bool, 1, 0),
        new("U8", torch.ScalarType.Byte, 1, 1),
        new("I8", torch.ScalarType.Int8, 1, 2),
        new("I16", torch.ScalarType.Int16, 2, 5),
        new("F16", torch.ScalarType.Float16, 2, 7),
        new("BF16", torch.ScalarType.BFloat16, 2, 8),
        new("I32", torch.ScalarType.Int32, 4, 9),
        new("F32", torch.ScalarType.Float32, 4, 11),
        new("F64", torch.ScalarType.Float64, 8, 12),
        new("I64", torch.ScalarType.Int64, 8, 13),
    ];

    // Dtypes the safetensors format defines but TorchSharp 0.107 has no element type for.
    private static readonly HashSet<string> KnownButUnsupported = new(StringComparer.Ordinal)
    {
        "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0",
        "F4", "F6_E2M3", "F6_E3M2", "C64", "C128", "PackedU4", "PackedI4",
    };

    private static readonly Dictionary<string, Entry> ByName = Supported.ToDictionary(e => e.Name, StringComparer.Ordinal);

    private static readonly Dictionary<torch.ScalarType, Entry> ByScalarType = Supported.ToDictionary(e => e.ScalarType);

    /// <summary>The supported dtype names, for messages.</summary>
    public static string SupportedNames { get; } = string.Join(", ", Supported.Select(e => e.Name));

    /// <summary>The supported TorchSharp element types, for messages.</summary>
    public static string SupportedScalarTypes { get; } = string.Join(", ", Supported.Select(e => e.ScalarType));

    public static bool TryFromName(string name, out torch.ScalarType scalarType, out int elementSize)
    {
        if (ByName.TryGetValue(name, out Entry? entry))
        {
            scalarType = entry.ScalarType;
            elementSize = entry.ElementSize;
            return true;
        }

        scalarType = default;
        elementSize = 0;
        return false;
    }

    public static bool IsKnownButUnsupported(string name) => KnownButUnsupported.Contains(name);

    public static bool TryFromScalarType(torch.ScalarType scalarType, out string name, out int elementSize, out int referenceRank)
    {
        if (ByScalarType.TryGetValue(scalarType, out Entry? entry))
        {
            name = entry.Name;
            elementSize = entry.ElementSize;
            referenceRank = entry.ReferenceRank;
            return true;
        }

        name = string.Empty;
        elementSize = 0;
        referenceRank = 0;
        return false;
    }
}
