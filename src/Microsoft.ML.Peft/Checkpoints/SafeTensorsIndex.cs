using System.Text.Json;
using System.Text.Unicode;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// The <c>weight_map</c> of a sharded Hugging Face checkpoint's <c>model.safetensors.index.json</c>: which shard file
/// holds each tensor. Other top-level entries (such as <c>metadata.total_size</c>) are ignored.
/// </summary>
internal sealed class SafeTensorsIndex
{
    private SafeTensorsIndex(IReadOnlyList<KeyValuePair<string, string>> weightMap) => WeightMap = weightMap;

    /// <summary>Tensor name to shard file name (a plain file name in the index's folder), in index order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> WeightMap { get; }

    /// <exception cref="SafeTensorsFormatException">The index is malformed (<see cref="SafeTensorsViolation.InvalidIndex"/>).</exception>
    public static SafeTensorsIndex Read(string indexPath)
    {
        long length = new FileInfo(indexPath).Length;
        if (length > SafeTensors.MaxHeaderLength)
        {
            throw Invalid(indexPath, $"the index is {length} bytes, more than the {SafeTensors.MaxHeaderLength}-byte limit.");
        }

        byte[] bytes = File.ReadAllBytes(indexPath);
        if (!Utf8.IsValid(bytes))
        {
            throw Invalid(indexPath, "the index is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            return new SafeTensorsIndex(ReadRoot(indexPath, ref reader));
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(indexPath, SafeTensorsViolation.InvalidIndex, $"the index is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new SafeTensorsFormatException(indexPath, SafeTensorsViolation.InvalidIndex, $"the index holds an invalid JSON string: {e.Message}", e);
        }
    }

    private static List<KeyValuePair<string, string>> ReadRoot(string indexPath, ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(indexPath, "the index must be a JSON object with a 'weight_map'.");
        }

        List<KeyValuePair<string, string>>? weightMap = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (!seen.Add(key))
            {
                throw Invalid(indexPath, $"the index names '{key}' more than once.");
            }

            reader.Read();
            if (key == "weight_map")
            {
                weightMap = ReadWeightMap(indexPath, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        while (reader.Read())
        {
        }

        return weightMap ?? throw Invalid(indexPath, "the index has no 'weight_map'.");
    }

    private static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(indexPath, "'weight_map' must be an object mapping tensor names to shard file names.");
        }

        var entries = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string tensor = reader.GetString()!;
            if (!seen.Add(tensor))
            {
                throw Invalid(indexPath, $"'weight_map' names tensor '{tensor}' more than once.");
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid(indexPath, $"'weight_map' maps tensor '{tensor}' to a {reader.TokenType} instead of a shard file name.");
            }

            string shard = reader.GetString()!;
            if (!IsPlainFileName(shard))
            {
                throw Invalid(indexPath,
                    $"'weight_map' maps tensor '{tensor}' to '{shard}', which is not a plain file name in the checkpoint folder.");
            }

            entries.Add(new KeyValuePair<string, string>(tensor, shard));
        }

        return entries;
    }

    // Shards must sit beside the index: no folders, no "..", no rooted paths, so an index cannot point outside its folder.
    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name is not "." and not ".." && name.IndexOfAny(['/', '\\', ':']) < 0 && !Path.IsPathRooted(name);

    private static SafeTensorsFormatException Invalid(string indexPath, string detail) =>
        new(indexPath, SafeTensorsViolation.InvalidIndex, detail);
}
