using System.Text.Json;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// The settings of a Hugging Face tokenizer folder's <c>tokenizer_config.json</c> (and <c>special_tokens_map.json</c>)
/// that this library uses. Absent keys are null and leave the tokenizer's own defaults alone.
/// </summary>
internal sealed class HuggingFaceTokenizerConfig
{
    /// <summary>A <c>model_max_length</c> above this is Hugging Face's "no limit" sentinel (int(1e30)), not a real length.</summary>
    private const double LargestRealMaxLength = 1_000_000_000;

    public bool? DoLowerCase { get; private init; }

    public bool HasStripAccents { get; private init; }

    public bool? StripAccents { get; private init; }

    public bool? TokenizeChineseChars { get; private init; }

    public int? ModelMaxLength { get; private init; }

    public bool? AddPrefixSpace { get; private init; }

    public IReadOnlyDictionary<string, string> SpecialTokens { get; private init; } = new Dictionary<string, string>();

    /// <summary>
    /// Loads a tokenizer from the Hugging Face folder <paramref name="folder"/> with the settings of its
    /// tokenizer_config.json and special_tokens_map.json: from its tokenizer.json when it has one
    /// (<paramref name="fromTokenizerJson"/> gets that path), otherwise from its model files (<paramref name="fromModelFiles"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static TTokenizer LoadFolder<TTokenizer>(
        string folder,
        Func<string, HuggingFaceTokenizerConfig, TTokenizer> fromTokenizerJson,
        Func<HuggingFaceTokenizerConfig, TTokenizer> fromModelFiles)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' does not exist.");
        }

        HuggingFaceTokenizerConfig config = Read(folder);
        string tokenizerJson = Path.Combine(folder, "tokenizer.json");
        return File.Exists(tokenizerJson) ? fromTokenizerJson(tokenizerJson, config) : fromModelFiles(config);
    }

    public string? SpecialToken(string key) => SpecialTokens.TryGetValue(key, out string? value) ? value : null;

    private static HuggingFaceTokenizerConfig Read(string folder)
    {
        var specialTokens = new Dictionary<string, string>(StringComparer.Ordinal);
        string mapPath = Path.Combine(folder, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            using JsonDocument map = HuggingFaceJson.Parse(mapPath);
            AddSpecialTokenNames(map.RootElement, mapPath, specialTokens);
        }

        string configPath = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(configPath))
        {
            return new HuggingFaceTokenizerConfig { SpecialTokens = specialTokens };
        }

        using JsonDocument document = HuggingFaceJson.Parse(configPath);
        JsonElement root = document.RootElement;
        AddSpecialTokenNames(root, configPath, specialTokens);
        return new HuggingFaceTokenizerConfig
        {
            DoLowerCase = HuggingFaceJson.Boolean(root, "do_lower_case", configPath),
            HasStripAccents = HuggingFaceJson.HasProperty(root, "strip_accents"),
            StripAccents = HuggingFaceJson.Boolean(root, "strip_accents", configPath),
            TokenizeChineseChars = HuggingFaceJson.Boolean(root, "tokenize_chinese_chars", configPath),
            ModelMaxLength = ReadModelMaxLength(root, configPath),
            AddPrefixSpace = HuggingFaceJson.Boolean(root, "add_prefix_space", configPath),
            SpecialTokens = specialTokens,
        };
    }

    private static int? ReadModelMaxLength(JsonElement root, string path)
    {
        JsonElement? value = HuggingFaceJson.Property(root, "model_max_length");
        if (value is null)
        {
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetDouble(out double length) || length < 1)
        {
            throw new TokenizerFileException(path, $"'model_max_length' must be a positive number, not '{value.Value.GetRawText()}'.");
        }

        return length > LargestRealMaxLength ? null : (int)length;
    }

    private static void AddSpecialTokenNames(JsonElement root, string path, Dictionary<string, string> names)
    {
        foreach (string key in new[] { "unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "bos_token", "eos_token" })
        {
            string? content = HuggingFaceJson.TokenContent(root, key, path);
            if (content is not null)
            {
                names[key] = content;
            }
        }
    }
}
