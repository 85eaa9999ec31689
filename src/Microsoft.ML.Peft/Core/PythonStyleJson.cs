using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft;

/// <summary>
/// Writes JSON the way Python's <c>json.dumps(obj, indent=2, sort_keys=True)</c> does, which is how Hugging Face PEFT
/// writes <c>adapter_config.json</c>: keys sorted by code point at every level, two-space indentation, floats with a
/// decimal point (<c>0.0</c>, <c>0.1</c>, <c>1e-05</c>) and integers without one.
/// </summary>
internal static class PythonStyleJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        // Regular expressions in target_modules should stay readable ("\\d+" rather than "\u005Cd\u002B").
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A JSON number node for a Python <c>float</c>: always written with a decimal point or exponent.</summary>
    public static JsonNode Float(double value) => JsonValue.Create(new PythonFloat(value))!;

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (JsonNode? item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValue value when value.TryGetValue(out PythonFloat number):
                writer.WriteRawValue(FormatFloat(number.Value), skipInputValidation: true);
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    /// <summary>Formats like Python's <c>repr(float)</c> for the values configs hold.</summary>
    internal static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        double magnitude = Math.Abs(value);
        if (value == Math.Floor(value) && magnitude < 1e16)
        {
            return ((long)value).ToString(CultureInfo.InvariantCulture) + ".0";
        }

        // .NET's shortest round-trip form has the same digits as Python's repr; only the exponent is spelled
        // differently (1E-05 there, 1e-05 here).
        string shortest = value.ToString("R", CultureInfo.InvariantCulture);
        int e = shortest.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return shortest;
        }

        int exponent = int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture);
        return $"{shortest[..e]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
    }

    /// <summary>Marks a number as a Python float so that integral values keep their <c>.0</c>.</summary>
    internal readonly record struct PythonFloat(double Value);
}
