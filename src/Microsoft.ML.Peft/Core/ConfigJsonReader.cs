using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners;

namespace Microsoft.ML.Peft;

/// <summary>
/// Reads typed values from a parsed <c>adapter_config.json</c>, failing with a message that names the file, the key,
/// what was expected and what was found. Keys this library does not know are ignored, as PEFT ignores keys written by a
/// newer version.
/// </summary>
internal sealed class ConfigJsonReader(JsonObject json, string source)
{
    public string Source { get; } = source;

    /// <summary>Whether the key is present with a non-null value.</summary>
    public bool Has(string key) => json.TryGetPropertyValue(key, out JsonNode? node) && node is not null;

    public string? GetString(string key)
    {
        JsonNode? node = Get(key);
        return node is null ? null : AsString(node, key);
    }

    public bool? GetBool(string key)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        return node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? value.GetValue<bool>()
            : throw Error(key, "true or false", node);
    }

    public int? GetInt(string key)
    {
        JsonNode? node = Get(key);
        return node is null ? null : AsInt(node, key);
    }

    public double? GetDouble(string key)
    {
        JsonNode? node = Get(key);
        return node is null ? null : AsDouble(node, key);
    }

    /// <summary>A list of strings, or a single string read as a one-element list (PEFT accepts both).</summary>
    public IReadOnlyList<string>? GetStringOrStringList(string key)
    {
        JsonNode? node = Get(key);
        return node switch
        {
            null => null,
            JsonArray array => array.Select(item => AsString(item ?? throw Error(key, "a list of strings", array), key)).ToList(),
            _ => [AsString(node, key)],
        };
    }

    /// <summary>A list of integers, or a single integer read as a one-element list (PEFT accepts both).</summary>
    public IReadOnlyList<int>? GetIntOrIntList(string key)
    {
        JsonNode? node = Get(key);
        return node switch
        {
            null => null,
            JsonArray array => array.Select(item => AsInt(item ?? throw Error(key, "a list of integers", array), key)).ToList(),
            _ => [AsInt(node, key)],
        };
    }

    /// <summary><c>target_modules</c>-style value: a list of names (suffix match) or a string (regular expression).</summary>
    public ModuleSelector? GetModuleSelector(string key)
    {
        JsonNode? node = Get(key);
        return node switch
        {
            null => null,
            JsonArray array => ModuleSelector.FromNames(array.Select(item => AsString(item ?? throw Error(key, "a list of strings", array), key))),
            _ => ModuleSelector.FromPattern(AsString(node, key)),
        };
    }

    public IReadOnlyDictionary<string, int> GetIntMap(string key) =>
        GetMap(key, (node, k) => AsInt(node, k));

    public IReadOnlyDictionary<string, double> GetDoubleMap(string key) =>
        GetMap(key, (node, k) => AsDouble(node, k));

    public JsonNode? GetNode(string key) => Get(key);

    public InvalidDataException Error(string key, string expected, JsonNode? actual) =>
        new($"{Source}: '{key}' must be {expected}, but it is {Describe(actual)}.");

    private IReadOnlyDictionary<string, T> GetMap<T>(string key, Func<JsonNode, string, T> read)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return new Dictionary<string, T>(StringComparer.Ordinal);
        }

        if (node is not JsonObject obj)
        {
            throw Error(key, "an object", node);
        }

        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (name, value) in obj)
        {
            map[name] = value is null ? throw Error($"{key}.{name}", "a number", value) : read(value, $"{key}.{name}");
        }

        return map;
    }

    private JsonNode? Get(string key) => json.TryGetPropertyValue(key, out JsonNode? node) ? node : null;

    private string AsString(JsonNode node, string key) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw Error(key, "a string", node);

    private int AsInt(JsonNode node, string key)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            double number = value.GetValue<double>();
            if (number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue)
            {
                return (int)number;
            }
        }

        throw Error(key, "an integer", node);
    }

    private double AsDouble(JsonNode node, string key) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            ? value.GetValue<double>()
            : throw Error(key, "a number", node);

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString();
}
