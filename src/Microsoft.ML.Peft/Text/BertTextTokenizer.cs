using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// BERT's WordPiece tokenizer with Hugging Face's behaviour: basic tokenization (clean text, CJK, accents,
/// lower-case, punctuation split), WordPiece via Microsoft.ML.Tokenizers, <c>[CLS] a [SEP]</c> /
/// <c>[CLS] a [SEP] b [SEP]</c> with token types 0/1, and special-token ids looked up in the vocabulary.
/// </summary>
/// <remarks>
/// Create it from a vocab.txt (<see cref="FromVocabFile"/>), a tokenizer.json (<see cref="FromTokenizerJson"/>) or a
/// Hugging Face folder (<see cref="FromPretrained"/>).
/// </remarks>
public sealed class BertTextTokenizer : TextTokenizer
{
    private readonly WordPieceTokenizer _wordPiece;
    private readonly BertTokenizerOptions _options;

    private BertTextTokenizer(
        string?[] vocabulary,
        WordPieceTokenizer wordPiece,
        BertBasicTokenizer basic,
        BertTokenizerOptions options,
        SpecialTokenIds specialIds,
        IReadOnlyCollection<SpecialToken> specialTokens)
        : base(
            vocabulary,
            paddingTokenId: specialIds.Padding,
            maxLength: options.MaxLength,
            startIds: [specialIds.Classification],
            betweenIds: [specialIds.Separator],
            endIds: [specialIds.Separator],
            usesTokenTypeIds: true,
            specialTokens,
            options.SplitSpecialTokens,
            basic.Normalize)
    {
        _wordPiece = wordPiece;
        _options = options;
        ClassificationTokenId = specialIds.Classification;
        SeparatorTokenId = specialIds.Separator;
        UnknownTokenId = specialIds.Unknown;
        MaskTokenId = specialIds.Mask;
    }

    /// <summary>The id of <c>[CLS]</c> (101 in bert-base-uncased).</summary>
    public int ClassificationTokenId { get; }

    /// <summary>The id of <c>[SEP]</c> (102 in bert-base-uncased).</summary>
    public int SeparatorTokenId { get; }

    /// <summary>The id of <c>[UNK]</c> (100 in bert-base-uncased).</summary>
    public int UnknownTokenId { get; }

    /// <summary>The id of <c>[MASK]</c> (103 in bert-base-uncased), or null when the vocabulary has none.</summary>
    public int? MaskTokenId { get; }

    /// <summary>A copy of the settings in effect.</summary>
    public BertTokenizerOptions Options => _options.Clone();

    /// <summary>
    /// Creates the tokenizer from a WordPiece vocab.txt (one token per line, id = line number from 0). A token on more
    /// than one line takes the id of its last line, and the earlier lines' ids map to no token, as in Hugging Face's
    /// <c>load_vocab</c>.
    /// </summary>
    public static BertTextTokenizer FromVocabFile(string vocabPath, BertTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabPath);
        if (!File.Exists(vocabPath))
        {
            throw new TokenizerFileException(vocabPath, "the vocabulary file does not exist.");
        }

        using FileStream stream = File.OpenRead(vocabPath);
        return FromVocab(stream, options, vocabPath);
    }

    /// <summary>
    /// Creates the tokenizer from a vocab.txt stream (repeated tokens as in <see cref="FromVocabFile"/>);
    /// <paramref name="sourceName"/> names it in errors.
    /// </summary>
    public static BertTextTokenizer FromVocab(Stream vocabStream, BertTokenizerOptions? options = null, string sourceName = "vocabulary stream")
    {
        ArgumentNullException.ThrowIfNull(vocabStream);
        var lines = new List<string?>();
        using (var reader = new StreamReader(vocabStream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true))
        {
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }
        }

        if (lines.Count == 0)
        {
            throw new TokenizerFileException(sourceName, "the vocabulary is empty; expected one WordPiece token per line.");
        }

        // Hugging Face's load_vocab does vocab[token] = line: the last line of a repeated token wins, and the ids of
        // its earlier lines have no token (Microsoft.ML.Tokenizers would throw on the repeat).
        var lastLine = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < lines.Count; id++)
        {
            string token = lines[id]!;
            if (lastLine.TryGetValue(token, out int earlier))
            {
                lines[earlier] = null;
            }

            lastLine[token] = id;
        }

        return Create(lines.ToArray(), options?.Clone() ?? new BertTokenizerOptions(), [], sourceName);
    }

    /// <summary>
    /// Creates the tokenizer from a Hugging Face tokenizer.json with a WordPiece model: <c>model.vocab</c>, the
    /// BertNormalizer settings (lowercase, strip_accents, clean_text, handle_chinese_chars), the [CLS]/[SEP] tokens of
    /// the post-processor, <c>truncation.max_length</c> and <c>added_tokens</c>.
    /// </summary>
    public static BertTextTokenizer FromTokenizerJson(string tokenizerJsonPath) =>
        ParseTokenizerJson(tokenizerJsonPath, config: null);

    /// <summary>
    /// Creates the tokenizer from a Hugging Face folder: tokenizer.json or vocab.txt, adjusted by tokenizer_config.json
    /// (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>, <c>model_max_length</c>, special
    /// tokens) and special_tokens_map.json, as the Hugging Face fast tokenizer does.
    /// </summary>
    public static BertTextTokenizer FromPretrained(string folder) =>
        HuggingFaceTokenizerConfig.LoadFolder(folder, ParseTokenizerJson, config => FromVocabFolder(folder, config));

    /// <inheritdoc />
    private protected override void AppendNormalizedTextIds(ReadOnlySpan<char> normalized, List<int> ids)
    {
        var words = new List<(int Start, int Length)>();
        BertBasicTokenizer.SplitWords(normalized, words);
        foreach ((int start, int length) in words)
        {
            ReadOnlySpan<char> word = normalized.Slice(start, length);

            // Hugging Face counts characters (code points); Microsoft.ML.Tokenizers would count UTF-16 units.
            if (ExceedsCharacters(word, _options.MaxInputCharsPerWord))
            {
                ids.Add(UnknownTokenId);
                continue;
            }

            // The word is final: no further pre-tokenization or normalization inside Microsoft.ML.Tokenizers.
            ids.AddRange(_wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    private static bool ExceedsCharacters(ReadOnlySpan<char> word, int maxCharacters)
    {
        if (word.Length <= maxCharacters)
        {
            return false;
        }

        int count = 0;
        foreach (Rune _ in word.EnumerateRunes())
        {
            if (++count > maxCharacters)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A folder without tokenizer.json: its vocab.txt.</summary>
    private static BertTextTokenizer FromVocabFolder(string folder, HuggingFaceTokenizerConfig config)
    {
        string vocabTxt = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocabTxt))
        {
            throw new FileNotFoundException(
                $"Tokenizer folder '{folder}' has neither tokenizer.json nor vocab.txt; a BERT tokenizer needs one of them.", vocabTxt);
        }

        var options = new BertTokenizerOptions();
        Apply(config, options);
        return FromVocabFile(vocabTxt, options);
    }

    private static BertTextTokenizer ParseTokenizerJson(string path, HuggingFaceTokenizerConfig? config)
    {
        using JsonDocument document = HuggingFaceJson.Parse(path);
        JsonElement root = document.RootElement;
        JsonElement model = HuggingFaceJson.TokenizerModel(root, path, "WordPiece", "a BERT tokenizer");
        Dictionary<string, int> vocab = HuggingFaceJson.ModelVocabulary(model, path);

        var options = new BertTokenizerOptions();
        options.UnknownToken = HuggingFaceJson.String(model, "unk_token", path) ?? options.UnknownToken;
        options.ContinuingSubwordPrefix = HuggingFaceJson.String(model, "continuing_subword_prefix", path) ?? options.ContinuingSubwordPrefix;
        options.MaxInputCharsPerWord = HuggingFaceJson.Int32(model, "max_input_chars_per_word", path) ?? options.MaxInputCharsPerWord;
        ReadNormalizer(HuggingFaceJson.Property(root, "normalizer"), path, options);
        ReadPostProcessorTokens(HuggingFaceJson.Property(root, "post_processor"), path, options);
        options.MaxLength = HuggingFaceJson.TruncationMaxLength(root, path) ?? options.MaxLength;

        if (HuggingFaceJson.Property(root, "padding") is { } padding)
        {
            options.PaddingToken = HuggingFaceJson.String(padding, "pad_token", path) ?? options.PaddingToken;
        }

        if (config is not null)
        {
            Apply(config, options);
        }

        // Ids index an array; a gap (never seen in practice) gets an entry with a space, which no word can match.
        int size = vocab.Values.Max() + 1;
        var lines = new string?[size];
        foreach ((string token, int id) in vocab)
        {
            lines[id] = token;
        }

        return Create(lines, options, HuggingFaceJson.AddedTokens(root, path), path);
    }

    private static void ReadNormalizer(JsonElement? normalizer, string path, BertTokenizerOptions options)
    {
        options.LowerCase = false;
        options.StripAccents = false;
        options.CleanText = false;
        options.HandleChineseCharacters = false;
        if (normalizer is null)
        {
            return;
        }

        bool nfd = false;
        bool stripAccents = false;
        void Visit(JsonElement element)
        {
            string? type = HuggingFaceJson.String(element, "type", path);
            switch (type)
            {
                case "BertNormalizer":
                    options.CleanText = HuggingFaceJson.Boolean(element, "clean_text", path) ?? true;
                    options.HandleChineseCharacters = HuggingFaceJson.Boolean(element, "handle_chinese_chars", path) ?? true;
                    options.LowerCase = HuggingFaceJson.Boolean(element, "lowercase", path) ?? true;
                    options.StripAccents = HuggingFaceJson.Boolean(element, "strip_accents", path);
                    break;
                case "Lowercase":
                    options.LowerCase = true;
                    break;
                case "NFD":
                    nfd = true;
                    break;
                case "StripAccents":
                    stripAccents = true;
                    break;
                case "Sequence":
                    JsonElement list = HuggingFaceJson.Property(element, "normalizers") is { ValueKind: JsonValueKind.Array } items
                        ? items
                        : throw new TokenizerFileException(path, "a Sequence normalizer needs a \"normalizers\" array.");
                    foreach (JsonElement item in list.EnumerateArray())
                    {
                        Visit(item);
                    }

                    break;
                default:
                    throw new TokenizerFileException(
                        path, $"normalizer type '{type}' is not supported; expected BertNormalizer, or Lowercase / NFD + StripAccents (alone or in a Sequence).");
            }
        }

        Visit(normalizer.Value);
        if (stripAccents)
        {
            if (!nfd)
            {
                throw new TokenizerFileException(path, "the StripAccents normalizer only removes accents after NFD; the file has no NFD normalizer.");
            }

            options.StripAccents = true;
        }
    }

    private static void ReadPostProcessorTokens(JsonElement? processor, string path, BertTokenizerOptions options)
    {
        if (processor is null)
        {
            return;
        }

        string? type = HuggingFaceJson.String(processor.Value, "type", path);
        if (type == "BertProcessing")
        {
            options.ClassificationToken = PairToken(processor.Value, "cls", path) ?? options.ClassificationToken;
            options.SeparatorToken = PairToken(processor.Value, "sep", path) ?? options.SeparatorToken;
        }
        else if (type == "TemplateProcessing"
            && HuggingFaceJson.Property(processor.Value, "single") is { ValueKind: JsonValueKind.Array } single)
        {
            // "[CLS] $A [SEP]": the first special token opens the row, the last closes each sentence.
            var specials = single.EnumerateArray()
                .Select(piece => HuggingFaceJson.Property(piece, "SpecialToken") is { } special ? HuggingFaceJson.String(special, "id", path) : null)
                .ToArray();
            if (specials.Length >= 2 && specials[0] is { } first && specials[^1] is { } last)
            {
                options.ClassificationToken = first;
                options.SeparatorToken = last;
            }
        }
    }

    private static string? PairToken(JsonElement processor, string name, string path)
    {
        JsonElement? pair = HuggingFaceJson.Property(processor, name);
        if (pair is null)
        {
            return null;
        }

        if (pair.Value.ValueKind != JsonValueKind.Array || pair.Value.GetArrayLength() < 1 || pair.Value[0].ValueKind != JsonValueKind.String)
        {
            throw new TokenizerFileException(path, $"post_processor.{name} must be [token, id].");
        }

        return pair.Value[0].GetString();
    }

    private static void Apply(HuggingFaceTokenizerConfig config, BertTokenizerOptions options)
    {
        options.LowerCase = config.DoLowerCase ?? options.LowerCase;
        if (config.HasStripAccents)
        {
            options.StripAccents = config.StripAccents;
        }

        options.HandleChineseCharacters = config.TokenizeChineseChars ?? options.HandleChineseCharacters;
        options.MaxLength = config.ModelMaxLength ?? options.MaxLength;
        options.UnknownToken = config.SpecialToken("unk_token") ?? options.UnknownToken;
        options.ClassificationToken = config.SpecialToken("cls_token") ?? options.ClassificationToken;
        options.SeparatorToken = config.SpecialToken("sep_token") ?? options.SeparatorToken;
        options.PaddingToken = config.SpecialToken("pad_token") ?? options.PaddingToken;
        options.MaskToken = config.SpecialToken("mask_token") ?? options.MaskToken;
    }

    private static BertTextTokenizer Create(string?[] vocabulary, BertTokenizerOptions options, List<SpecialToken> addedTokens, string sourceName)
    {
        if (options.MaxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, "MaxLength must hold at least [CLS] and [SEP].");
        }

        var vocabularyIds = new List<KeyValuePair<string, int>>(vocabulary.Length);
        for (int id = 0; id < vocabulary.Length; id++)
        {
            if (vocabulary[id] is { } token)
            {
                vocabularyIds.Add(new(token, id));
            }
        }

        var ids = new TokenIds(vocabularyIds, addedTokens, sourceName);
        var specialIds = new SpecialTokenIds(
            Classification: ids.Require(options.ClassificationToken, "classification"),
            Separator: ids.Require(options.SeparatorToken, "separator"),
            Padding: ids.Require(options.PaddingToken, "padding"),
            Unknown: ids.Require(options.UnknownToken, "unknown"),
            Mask: ids.Find(options.MaskToken));

        var specialTokens = new List<SpecialToken>(addedTokens);
        foreach (string token in new[] { options.ClassificationToken, options.SeparatorToken, options.PaddingToken, options.UnknownToken, options.MaskToken })
        {
            if (ids.Find(token) is int id)
            {
                specialTokens.Add(new SpecialToken(token, id));
            }
        }

        // Microsoft.ML.Tokenizers takes ids from line numbers, so a gap needs a line of its own: one with a space,
        // which no word can hold, and unlike every token (it rejects repeats).
        var tokens = new HashSet<string>(vocabulary.OfType<string>(), StringComparer.Ordinal);
        var text = new StringBuilder();
        for (int id = 0; id < vocabulary.Length; id++)
        {
            string? line = vocabulary[id];
            if (line is null)
            {
                line = $"[no token {id}]";
                while (!tokens.Add(line))
                {
                    line += " ";
                }
            }

            text.Append(line).Append('\n');
        }

        if (options.MaxInputCharsPerWord <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxInputCharsPerWord, "MaxInputCharsPerWord must be positive.");
        }

        WordPieceTokenizer wordPiece;
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())))
        {
            wordPiece = WordPieceTokenizer.Create(stream, new WordPieceOptions
            {
                UnknownToken = options.UnknownToken,
                ContinuingSubwordPrefix = options.ContinuingSubwordPrefix,

                // Our own check counts characters (see AppendNormalizedTextIds); a word it lets through has at most
                // two UTF-16 units per character, which this limit must not turn into [UNK].
                MaxInputCharsPerWord = (int)Math.Min(2L * options.MaxInputCharsPerWord, int.MaxValue / 2),
            });
        }

        var basic = new BertBasicTokenizer(options.CleanText, options.HandleChineseCharacters, options.EffectiveStripAccents, options.LowerCase);
        return new BertTextTokenizer(vocabulary, wordPiece, basic, options, specialIds, specialTokens)
        {
            Definition = new BertTokenizerDefinition(vocabulary, options.Clone(), addedTokens.ToArray()),
        };
    }

    /// <summary>What this tokenizer was built from; enough to build it again (see <see cref="TokenizerPersistence"/>).</summary>
    internal BertTokenizerDefinition Definition { get; private init; } = null!;

    /// <summary>Builds the tokenizer again from a <see cref="Definition"/>.</summary>
    internal static BertTextTokenizer FromDefinition(BertTokenizerDefinition definition, string sourceName) =>
        Create(definition.Vocabulary, definition.Options.Clone(), definition.AddedTokens.ToList(), sourceName);

    private readonly record struct SpecialTokenIds(int Classification, int Separator, int Padding, int Unknown, int? Mask);
}
