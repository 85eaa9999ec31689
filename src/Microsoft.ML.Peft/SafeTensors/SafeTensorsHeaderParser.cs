using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// Parses and validates a safetensors JSON header. It walks the JSON with <see cref="Utf8JsonReader"/> rather than
/// deserializing it, because System.Text.Json silently accepts duplicate keys and we must reject them.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    public const string MetadataKey = "__metadata__";

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="header"/>, whose data region holds <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="SafeTensorsFormatException">The header breaks a rule of the format.</exception>
    public static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> header, long dataRegionStart, long dataLength)
    {
        if (!Utf8.IsValid(header))
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.HeaderNotUtf8,
                $"the header is not valid UTF-8 (first invalid byte at header offset {FirstInvalidUtf8Offset(header)}).");
        }

        if (header.IsEmpty || header[0] != (byte)'{')
        {
            string found = header.IsEmpty ? "the header is empty" : $"the header starts with byte 0x{header[0]:X2}";
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.HeaderNotJsonObject,
                $"{found}; a header must be a JSON object starting with '{{'.");
        }

        var reader = new Utf8JsonReader(header, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });

        try
        {
            return ParseRoot(path, ref reader, dataRegionStart, dataLength);
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidJson, $"the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for escapes that decode to invalid UTF-16 (a lone surrogate).
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidJson, $"the header holds an invalid JSON string: {e.Message}", e);
        }
    }

    private static SafeTensorsHeader ParseRoot(string path, ref Utf8JsonReader reader, long dataRegionStart, long dataLength)
    {
        reader.Read(); // The opening '{', checked above.
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<SafeTensorInfo>();
        IReadOnlyDictionary<string, string> metadata = NoMetadata;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (!seenKeys.Add(key))
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.DuplicateKey, $"the header names '{key}' more than once.");
            }

            reader.Read();
            if (key == MetadataKey)
            {
                metadata = ReadMetadata(path, ref reader);
            }
            else
            {
                tensors.Add(ReadTensor(path, key, ref reader, dataRegionStart, dataLength));
            }
        }

        // Anything but whitespace after the root object makes Read throw a JsonException.
        while (reader.Read())
        {
        }

        List<SafeTensorInfo> inFileOrder = tensors
            .OrderBy(t => t.DataBegin)
            .ThenBy(t => t.DataEnd)
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        CheckLayout(path, inFileOrder, dataLength);
        return new SafeTensorsHeader(metadata, inFileOrder);
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(string path, ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            // The reference reader treats a null __metadata__ as absent.
            return NoMetadata;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidMetadata,
                $"'{MetadataKey}' is {Describe(reader.TokenType)}; it must be an object whose values are strings.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (metadata.ContainsKey(key))
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.DuplicateKey, $"'{MetadataKey}' names '{key}' more than once.");
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidMetadata,
                    $"the '{MetadataKey}' value of '{key}' is {Describe(reader.TokenType)}; metadata values must be strings.");
            }

            metadata[key] = reader.GetString()!;
        }

        return metadata;
    }

    private static SafeTensorInfo ReadTensor(string path, string name, ref Utf8JsonReader reader, long dataRegionStart, long dataLength)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidTensorEntry,
                $"tensor '{name}' is described by {Describe(reader.TokenType)}; it must be an object with dtype, shape and data_offsets.");
        }

        string? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        var seenFields = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string field = reader.GetString()!;
            reader.Read();
            if (field is not ("dtype" or "shape" or "data_offsets"))
            {
                // The reference reader (a serde struct without deny_unknown_fields) ignores other members, so files that
                // tools annotate open there; ignoring them here opens the same files.
                reader.Skip();
                continue;
            }

            if (!seenFields.Add(field))
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.DuplicateKey, $"tensor '{name}' names '{field}' more than once.");
            }

            switch (field)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidFieldType,
                            $"tensor '{name}' has a dtype that is {Describe(reader.TokenType)}, not a string.");
                    }

                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    shape = ReadWholeNumbers(path, name, "shape", ref reader, SafeTensorsViolation.NegativeDimension);
                    break;
                case "data_offsets":
                    offsets = ReadWholeNumbers(path, name, "data_offsets", ref reader, SafeTensorsViolation.InvalidOffsets);
                    break;
            }
        }

        string? missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : null;
        if (missing is not null)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.MissingField, $"tensor '{name}' has no '{missing}' field.");
        }

        if (!SafeTensorsDTypes.TryFromName(dtype!, out var scalarType, out int elementSize))
        {
            SafeTensorsViolation violation = SafeTensorsDTypes.IsKnownButUnsupported(dtype!)
                ? SafeTensorsViolation.UnsupportedDType
                : SafeTensorsViolation.UnknownDType;
            string why = violation == SafeTensorsViolation.UnsupportedDType
                ? "a safetensors dtype that TorchSharp has no element type for"
                : "not a safetensors dtype";
            throw new SafeTensorsFormatException(path, violation,
                $"tensor '{name}' has dtype '{dtype}', which is {why}; supported dtypes are {SafeTensorsDTypes.SupportedNames}.");
        }

        if (offsets!.Count != 2)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidFieldType,
                $"tensor '{name}' has {offsets.Count} data_offsets; it needs exactly two, [begin, end].");
        }

        long[] dims = shape!.ToArray();
        string shapeText = $"[{string.Join(", ", dims)}]";
        long elementCount;
        long byteSize;
        try
        {
            elementCount = 1;
            foreach (long dim in dims)
            {
                elementCount = checked(elementCount * dim);
            }

            byteSize = checked(elementCount * elementSize);
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.ShapeOverflow,
                $"tensor '{name}' has shape {shapeText}, whose size in {dtype} elements overflows a 64-bit integer.");
        }

        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidOffsets,
                $"tensor '{name}' has data_offsets [{begin}, {end}], which begin after they end.");
        }

        if (end > dataLength)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.OffsetsOutOfBounds,
                $"tensor '{name}' has data_offsets [{begin}, {end}], past the end of the data region, which holds {dataLength} bytes.");
        }

        if (end - begin != byteSize)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.ByteSizeMismatch,
                $"tensor '{name}' ({dtype} {shapeText}) needs {byteSize} bytes ({elementCount} elements of {elementSize} bytes) " +
                $"but its data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return new SafeTensorInfo(name, dtype!, scalarType, elementSize, dims, elementCount, begin, end, dataRegionStart);
    }

    /// <summary>Reads a JSON array of integers in [0, long.MaxValue].</summary>
    private static List<long> ReadWholeNumbers(string path, string tensor, string field, ref Utf8JsonReader reader,
        SafeTensorsViolation negativeViolation)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidFieldType,
                $"tensor '{tensor}' has a {field} that is {Describe(reader.TokenType)}, not an array of whole numbers.");
        }

        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidFieldType,
                    $"tensor '{tensor}' has a {field} holding {Describe(reader.TokenType)}; it must hold only whole numbers.");
            }

            bool negative = reader.ValueSpan[0] == (byte)'-';
            if (reader.TryGetInt64(out long value) && value >= 0)
            {
                values.Add(value);
                continue;
            }

            string raw = Encoding.UTF8.GetString(reader.ValueSpan);
            if (negative)
            {
                string what = field == "shape" ? "a negative dimension" : "a negative offset";
                throw new SafeTensorsFormatException(path, negativeViolation, $"tensor '{tensor}' has {what}, {raw}, in its {field}.");
            }

            throw new SafeTensorsFormatException(path, SafeTensorsViolation.InvalidFieldType,
                $"tensor '{tensor}' has {raw} in its {field}, which is not a whole number from 0 to {long.MaxValue}.");
        }

        return values;
    }

    /// <summary>The tensors, sorted by offset, must tile the data region exactly: no overlap, no gap, nothing after.</summary>
    private static void CheckLayout(string path, List<SafeTensorInfo> inFileOrder, long dataLength)
    {
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (SafeTensorInfo tensor in inFileOrder)
        {
            if (tensor.DataBegin < covered)
            {
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.OverlappingTensors,
                    $"tensors '{previous!.Name}' (bytes {previous.DataBegin}..{previous.DataEnd}) and '{tensor.Name}' " +
                    $"(bytes {tensor.DataBegin}..{tensor.DataEnd}) overlap.");
            }

            if (tensor.DataBegin > covered)
            {
                string before = previous is null ? "before the first tensor" : $"between '{previous.Name}' and '{tensor.Name}'";
                throw new SafeTensorsFormatException(path, SafeTensorsViolation.DataGap,
                    $"data bytes {covered}..{tensor.DataBegin} {before} belong to no tensor.");
            }

            covered = tensor.DataEnd;
            previous = tensor;
        }

        if (covered != dataLength)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.TrailingBytes,
                $"the file holds {dataLength - covered} bytes after the last tensor's data (data region {dataLength} bytes, tensors end at {covered}).");
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Buffers.OperationStatus.Done != System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed))
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }
}
