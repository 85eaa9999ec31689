using System.Text.Json;

namespace Microsoft.ML.Peft.Text;

/// <summary>Small helpers to read Hugging Face tokenizer JSON files with errors that name the file and the key.</summary>
internal static class HuggingFaceJson
{
    public static JsonDocument Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new TokenizerFileException(path, "the file does not exist.");
        }

        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(path, $"is not valid JSON ({e.Message}).", e);
        }
    }

    public static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static bool HasProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _);

    public static bool? Boolean(JsonElement element, string name, string path)
    {
        JsonElement? value = Property(element, name);
        if (value is null)
        {
            return null;
        }

        return value.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFileException(path, $"'{name}' must be true, false or null, not {value.Value.ValueKind}."),
        };
    }

    public static string? String(JsonElement element, string name, string path)
    {
        JsonElement? value = Property(element, name);
        if (value is null)
        {
            return null;
        }

        return value.Value.ValueKind == JsonValueKind.String
            ? value.Value.GetString()
            : throw new TokenizerFileException(path, $"'{name}' must be a string, not {value.Value.ValueKind}.");
    }

    public static int? Int32(JsonElement element, string name, string path)
    {
        JsonElement? value = Property(element, name);
        if (value is null)
        {
            return null;
        }

        return value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out int number)
            ? number
            : throw new TokenizerFileException(path, $"'{name}' must be a 32-bit integer, not '{value.Value.GetRawText()}'.");
    }

    /// <summary>A special token setting, written either as a string or as an AddedToken object with "content".</summary>
    public static string? TokenContent(JsonElement element, string name, string path)
    {
        JsonElement? value = Property(element, name);
        if (value is null)
        {
            return null;
        }

        if (value.Value.ValueKind == JsonValueKind.String)
        {
            return value.Value.GetString();
        }

        return String(value.Value, "content", path)
            ?? throw new TokenizerFileException(path, $"'{name}' must be a string or an object with \"content\".");
    }

    /// <summary>The <c>added_tokens</c> array of a tokenizer.json, with each token's lstrip, rstrip, normalized and single_word.</summary>
    public static List<SpecialToken> AddedTokens(JsonElement root, string path)
    {
        var tokens = new List<SpecialToken>();
        JsonElement? added = Property(root, "added_tokens");
        if (added is null)
        {
            return tokens;
        }

        if (added.Value.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFileException(path, "'added_tokens' must be an array.");
        }

        int index = 0;
        foreach (JsonElement item in added.Value.EnumerateArray())
        {
            string content = String(item, "content", path)
                ?? throw new TokenizerFileException(path, $"added_tokens[{index}] has no \"content\".");
            int id = Int32(item, "id", path)
                ?? throw new TokenizerFileException(path, $"added_tokens[{index}] ('{content}') has no \"id\".");
            // Hugging Face writes every field; a hand-written entry without "normalized" follows AddedToken::from
            // (special tokens are not normalized, others are) and, without "special" either, matches verbatim as before.
            bool? special = Boolean(item, "special", path);
            tokens.Add(new SpecialToken(
                content,
                id,
                StripLeft: Boolean(item, "lstrip", path) ?? false,
                StripRight: Boolean(item, "rstrip", path) ?? false,
                Normalized: Boolean(item, "normalized", path) ?? special == false,
                SingleWord: Boolean(item, "single_word", path) ?? false));
            index++;
        }

        return tokens;
    }

    /// <summary>
    /// The <c>model</c> section of a tokenizer.json, checked to be a <paramref name="modelType"/> model (a file without
    /// <c>model.type</c> is taken to be one); <paramref name="tokenizerName"/> names the tokenizer in the error.
    /// </summary>
    public static JsonElement TokenizerModel(JsonElement root, string path, string modelType, string tokenizerName)
    {
        JsonElement model = Property(root, "model")
            ?? throw new TokenizerFileException(path, "has no \"model\" section.");
        string? type = String(model, "type", path);
        if (type is not null && type != modelType)
        {
            throw new TokenizerFileException(path, $"model.type is '{type}'; {tokenizerName} needs a {modelType} model.");
        }

        return model;
    }

    /// <summary>The <c>vocab</c> of a tokenizer.json's <c>model</c> section.</summary>
    public static Dictionary<string, int> ModelVocabulary(JsonElement model, string path) =>
        Vocabulary(Property(model, "vocab") ?? throw new TokenizerFileException(path, "has no model.vocab."), path, "model.vocab");

    /// <summary>The <c>truncation.max_length</c> of a tokenizer.json, or null when it sets none.</summary>
    public static int? TruncationMaxLength(JsonElement root, string path) =>
        Property(root, "truncation") is { } truncation ? Int32(truncation, "max_length", path) : null;

    /// <summary>A token → id object (a WordPiece or BPE <c>model.vocab</c>, or a vocab.json).</summary>
    public static Dictionary<string, int> Vocabulary(JsonElement vocab, string path, string what)
    {
        if (vocab.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFileException(path, $"{what} must be a JSON object mapping tokens to ids, not {vocab.ValueKind}.");
        }

        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new TokenizerFileException(path, $"{what}: the id of '{entry.Name}' must be a non-negative integer, not '{entry.Value.GetRawText()}'.");
            }

            result[entry.Name] = id;
        }

        if (result.Count == 0)
        {
            throw new TokenizerFileException(path, $"{what} is empty.");
        }

        return result;
    }
}
