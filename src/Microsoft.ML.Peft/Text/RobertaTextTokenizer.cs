using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// RoBERTa's byte-level BPE tokenizer (GPT-2 style: text → UTF-8 bytes shown as printable characters, a space as 'Ġ',
/// GPT-2's pre-tokenization pattern, then BPE merges), with <c>&lt;s&gt; a &lt;/s&gt;</c> /
/// <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>, padding with <c>&lt;pad&gt;</c> and all token types 0.
/// </summary>
/// <remarks>
/// Built on Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with byte-level handling
/// (its CodeGenTokenizer insists on a GPT-2 <c>&lt;|endoftext|&gt;</c> token that RoBERTa's vocabulary lacks).
/// Special-token ids come from the vocabulary (roberta-base: &lt;s&gt;=0, &lt;pad&gt;=1, &lt;/s&gt;=2, &lt;unk&gt;=3).
/// </remarks>
public sealed class RobertaTextTokenizer : TextTokenizer
{
    // GPT-2's pre-tokenization: English contractions, letter runs, digit runs, other symbols (each with one optional
    // leading space), and white space, the last space of a run going to the next word.
    private static readonly Regex Gpt2PreTokenization = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private readonly BpeTokenizer _bpe;
    private readonly RobertaTokenizerOptions _options;

    private RobertaTextTokenizer(
        string?[] vocabulary,
        BpeTokenizer bpe,
        RobertaTokenizerOptions options,
        int beginId,
        int endId,
        int paddingId,
        int? unknownId,
        int? maskId,
        IReadOnlyCollection<SpecialToken> specialTokens)
        : base(
            vocabulary,
            paddingTokenId: paddingId,
            maxLength: options.MaxLength,
            startIds: [beginId],
            betweenIds: [endId, endId],
            endIds: [endId],
            usesTokenTypeIds: false,
            specialTokens,
            options.SplitSpecialTokens,
            normalize: null)
    {
        _bpe = bpe;
        _options = options;
        BeginningOfSentenceTokenId = beginId;
        EndOfSentenceTokenId = endId;
        UnknownTokenId = unknownId;
        MaskTokenId = maskId;
    }

    /// <summary>The id of <c>&lt;s&gt;</c> (0 in roberta-base).</summary>
    public int BeginningOfSentenceTokenId { get; }

    /// <summary>The id of <c>&lt;/s&gt;</c> (2 in roberta-base).</summary>
    public int EndOfSentenceTokenId { get; }

    /// <summary>The id of <c>&lt;unk&gt;</c> (3 in roberta-base), or null when the vocabulary has none.</summary>
    public int? UnknownTokenId { get; }

    /// <summary>The id of <c>&lt;mask&gt;</c> (50264 in roberta-base), or null when the vocabulary has none.</summary>
    public int? MaskTokenId { get; }

    /// <summary>A copy of the settings in effect.</summary>
    public RobertaTokenizerOptions Options => _options.Clone();

    /// <summary>Creates the tokenizer from a vocab.json (token → id) and a merges.txt (one "a b" merge per line, by priority).</summary>
    public static RobertaTextTokenizer FromFiles(string vocabJsonPath, string mergesPath, RobertaTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesPath);
        using JsonDocument vocabDocument = HuggingFaceJson.Parse(vocabJsonPath);
        Dictionary<string, int> vocab = HuggingFaceJson.Vocabulary(vocabDocument.RootElement, vocabJsonPath, "the vocabulary");
        if (!File.Exists(mergesPath))
        {
            throw new TokenizerFileException(mergesPath, "the merges file does not exist.");
        }

        List<string> merges;
        using (FileStream stream = File.OpenRead(mergesPath))
        {
            merges = ReadMerges(stream, mergesPath);
        }

        return Create(vocab, merges, options?.Clone() ?? new RobertaTokenizerOptions(), [], vocabJsonPath);
    }

    /// <summary>Creates the tokenizer from vocab.json and merges.txt streams; <paramref name="sourceName"/> names them in errors.</summary>
    public static RobertaTextTokenizer FromStreams(Stream vocabJson, Stream merges, RobertaTokenizerOptions? options = null, string sourceName = "vocabulary stream")
    {
        ArgumentNullException.ThrowIfNull(vocabJson);
        ArgumentNullException.ThrowIfNull(merges);
        Dictionary<string, int> vocab;
        try
        {
            using JsonDocument document = JsonDocument.Parse(vocabJson);
            vocab = HuggingFaceJson.Vocabulary(document.RootElement, sourceName, "the vocabulary");
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(sourceName, $"the vocabulary is not valid JSON ({e.Message}).", e);
        }

        return Create(vocab, ReadMerges(merges, sourceName + " (merges)"), options?.Clone() ?? new RobertaTokenizerOptions(), [], sourceName);
    }

    /// <summary>
    /// Creates the tokenizer from a Hugging Face tokenizer.json with a BPE model (<c>model.vocab</c>, <c>model.merges</c>),
    /// the ByteLevel pre-tokenizer's <c>add_prefix_space</c>, <c>truncation.max_length</c> and <c>added_tokens</c>.
    /// </summary>
    public static RobertaTextTokenizer FromTokenizerJson(string tokenizerJsonPath) => ParseTokenizerJson(tokenizerJsonPath, config: null);

    /// <summary>
    /// Creates the tokenizer from a Hugging Face folder: tokenizer.json, or vocab.json + merges.txt, adjusted by
    /// tokenizer_config.json (<c>model_max_length</c>, <c>add_prefix_space</c>, special tokens) and special_tokens_map.json.
    /// </summary>
    public static RobertaTextTokenizer FromPretrained(string folder) =>
        HuggingFaceTokenizerConfig.LoadFolder(folder, ParseTokenizerJson, config => FromVocabAndMergesFolder(folder, config));

    /// <inheritdoc />
    private protected override void AppendNormalizedTextIds(ReadOnlySpan<char> normalized, List<int> ids)
    {
        // As the fast tokenizer's ByteLevel pre-tokenizer: only a leading ' ' makes the prefix unnecessary ("\nHello"
        // still gets one; the slow RobertaTokenizer's isspace() would not add it).
        if (_options.AddPrefixSpace && normalized.Length > 0 && normalized[0] != ' ')
        {
            ids.AddRange(_bpe.EncodeToIds(string.Concat(" ", normalized)));
        }
        else
        {
            ids.AddRange(_bpe.EncodeToIds(normalized));
        }
    }

    /// <summary>A folder without tokenizer.json: its vocab.json and merges.txt.</summary>
    private static RobertaTextTokenizer FromVocabAndMergesFolder(string folder, HuggingFaceTokenizerConfig config)
    {
        string vocabJson = Path.Combine(folder, "vocab.json");
        string merges = Path.Combine(folder, "merges.txt");
        if (!File.Exists(vocabJson) || !File.Exists(merges))
        {
            throw new FileNotFoundException(
                $"Tokenizer folder '{folder}' has neither tokenizer.json nor both vocab.json and merges.txt; a RoBERTa tokenizer needs one of them.",
                File.Exists(vocabJson) ? merges : vocabJson);
        }

        var options = new RobertaTokenizerOptions();
        Apply(config, options);
        return FromFiles(vocabJson, merges, options);
    }

    private static RobertaTextTokenizer ParseTokenizerJson(string path, HuggingFaceTokenizerConfig? config)
    {
        using JsonDocument document = HuggingFaceJson.Parse(path);
        JsonElement root = document.RootElement;
        JsonElement model = HuggingFaceJson.TokenizerModel(root, path, "BPE", "a RoBERTa tokenizer");
        Dictionary<string, int> vocab = HuggingFaceJson.ModelVocabulary(model, path);
        JsonElement mergesElement = HuggingFaceJson.Property(model, "merges") is { ValueKind: JsonValueKind.Array } array
            ? array
            : throw new TokenizerFileException(path, "model.merges must be an array.");
        var merges = new List<string>();
        int index = 0;
        foreach (JsonElement merge in mergesElement.EnumerateArray())
        {
            // Older files write "a b", newer ones ["a", "b"].
            string? line = merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString(),
                JsonValueKind.Array when merge.GetArrayLength() == 2 && merge.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String && !p.GetString()!.Contains(' '))
                    => $"{merge[0].GetString()} {merge[1].GetString()}",
                _ => null,
            };
            if (line is null || line.Split(' ').Length != 2)
            {
                throw new TokenizerFileException(path, $"model.merges[{index}] must be \"a b\" or [\"a\", \"b\"], not {merge.GetRawText()}.");
            }

            merges.Add(line);
            index++;
        }

        var options = new RobertaTokenizerOptions();
        if (HuggingFaceJson.Property(root, "pre_tokenizer") is { } preTokenizer)
        {
            options.AddPrefixSpace = FindByteLevelPrefixSpace(preTokenizer, path) ?? options.AddPrefixSpace;
        }

        options.MaxLength = HuggingFaceJson.TruncationMaxLength(root, path) ?? options.MaxLength;

        if (config is not null)
        {
            Apply(config, options);
        }

        return Create(vocab, merges, options, HuggingFaceJson.AddedTokens(root, path), path);
    }

    private static bool? FindByteLevelPrefixSpace(JsonElement preTokenizer, string path)
    {
        string? type = HuggingFaceJson.String(preTokenizer, "type", path);
        if (type == "ByteLevel")
        {
            return HuggingFaceJson.Boolean(preTokenizer, "add_prefix_space", path);
        }

        if (type == "Sequence" && HuggingFaceJson.Property(preTokenizer, "pretokenizers") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                if (FindByteLevelPrefixSpace(item, path) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static void Apply(HuggingFaceTokenizerConfig config, RobertaTokenizerOptions options)
    {
        options.MaxLength = config.ModelMaxLength ?? options.MaxLength;
        options.AddPrefixSpace = config.AddPrefixSpace ?? options.AddPrefixSpace;
        options.BeginningOfSentenceToken = config.SpecialToken("bos_token") ?? config.SpecialToken("cls_token") ?? options.BeginningOfSentenceToken;
        options.EndOfSentenceToken = config.SpecialToken("eos_token") ?? config.SpecialToken("sep_token") ?? options.EndOfSentenceToken;
        options.PaddingToken = config.SpecialToken("pad_token") ?? options.PaddingToken;
        options.UnknownToken = config.SpecialToken("unk_token") ?? options.UnknownToken;
        options.MaskToken = config.SpecialToken("mask_token") ?? options.MaskToken;
    }

    private static List<string> ReadMerges(Stream stream, string sourceName)
    {
        var merges = new List<string>();
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            if (line.Split(' ').Length != 2)
            {
                throw new TokenizerFileException(sourceName, $"merges line {lineNumber} must be two tokens separated by one space, not '{line}'.");
            }

            merges.Add(line);
        }

        return merges;
    }

    private static RobertaTextTokenizer Create(
        Dictionary<string, int> vocab, List<string> merges, RobertaTokenizerOptions options, List<SpecialToken> addedTokens, string sourceName)
    {
        if (options.MaxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, "MaxLength must hold at least <s> and </s>.");
        }

        var ids = new TokenIds(vocab, addedTokens, sourceName);
        int beginId = ids.Require(options.BeginningOfSentenceToken, "beginning-of-sentence");
        int endId = ids.Require(options.EndOfSentenceToken, "end-of-sentence");
        int paddingId = ids.Require(options.PaddingToken, "padding");
        int? unknownId = ids.Find(options.UnknownToken);
        int? maskId = ids.Find(options.MaskToken);

        // Tokens from tokenizer.json first: their lstrip/rstrip settings win over the defaults below.
        var specialTokens = new List<SpecialToken>(addedTokens)
        {
            new(options.BeginningOfSentenceToken, beginId),
            new(options.EndOfSentenceToken, endId),
            new(options.PaddingToken, paddingId),
        };
        if (unknownId is { } unk)
        {
            specialTokens.Add(new SpecialToken(options.UnknownToken, unk));
        }

        if (maskId is { } mask)
        {
            specialTokens.Add(new SpecialToken(options.MaskToken, mask, StripLeft: true));
        }

        var vocabulary = new string?[ids.MaxId + 1];
        foreach ((string token, int id) in vocab)
        {
            vocabulary[id] = token;
        }

        // Added tokens may have ids beyond vocab.json; they map back to their text too (as BERT's do).
        foreach (SpecialToken added in addedTokens)
        {
            vocabulary[added.Id] ??= added.Content;
        }

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(Gpt2PreTokenization, specialTokens: null),
                UnknownToken = unknownId is null ? null : options.UnknownToken,
            });
        }
        catch (InvalidOperationException e)
        {
            // e.g. a merge whose result is not in the vocabulary.
            throw new TokenizerFileException(sourceName, $"the vocabulary and merges do not fit together: {e.Message}", e);
        }

        return new RobertaTextTokenizer(vocabulary, bpe, options, beginId, endId, paddingId, unknownId, maskId, specialTokens)
        {
            Definition = new RobertaTokenizerDefinition(new Dictionary<string, int>(vocab, StringComparer.Ordinal), merges.ToArray(), options.Clone(), addedTokens.ToArray()),
        };
    }

    /// <summary>What this tokenizer was built from; enough to build it again (see <see cref="TokenizerPersistence"/>).</summary>
    internal RobertaTokenizerDefinition Definition { get; private init; } = null!;

    /// <summary>Builds the tokenizer again from a <see cref="Definition"/>.</summary>
    internal static RobertaTextTokenizer FromDefinition(RobertaTokenizerDefinition definition, string sourceName) =>
        Create(new Dictionary<string, int>(definition.Vocabulary, StringComparer.Ordinal), definition.Merges.ToList(), definition.Options.Clone(), definition.AddedTokens.ToList(), sourceName);
}
