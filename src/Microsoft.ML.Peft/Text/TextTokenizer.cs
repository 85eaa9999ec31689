namespace Microsoft.ML.Peft.Text;

/// <summary>
/// The part that BERT and RoBERTa tokenizers share: special and added tokens matched in the text (as Hugging Face's
/// AddedVocabulary does: first the non-normalized ones in the raw text, then the normalized ones in the normalized
/// rest), the special-token template around one or two sentences, truncation (longest first for pairs) and padded batches.
/// </summary>
public abstract class TextTokenizer : ITextTokenizer
{
    private readonly string?[] _vocabulary;
    private readonly SpecialToken[] _matchedTokens;
    private readonly TextNormalization? _normalize;
    private readonly SpecialTokenSplitter _rawSplitter;
    private readonly SpecialTokenSplitter _normalizedSplitter;
    private readonly int[] _startIds;
    private readonly int[] _betweenIds;
    private readonly int[] _endIds;

    /// <summary>Sets up the template <c>start a end</c> / <c>start a between b end</c>.</summary>
    /// <param name="vocabulary">The token of each id (null for a gap).</param>
    /// <param name="paddingTokenId">The id padding positions hold.</param>
    /// <param name="maxLength">The default total length, special tokens included.</param>
    /// <param name="startIds">The ids that open every encoding.</param>
    /// <param name="betweenIds">The ids between the two sentences of a pair.</param>
    /// <param name="endIds">The ids that close every encoding.</param>
    /// <param name="usesTokenTypeIds">Whether the second sentence of a pair is segment 1.</param>
    /// <param name="specialTokens">The special and added tokens; their ids may lie beyond <paramref name="vocabulary"/>.</param>
    /// <param name="splitSpecialTokens">Whether <paramref name="specialTokens"/> are matched in input text.</param>
    /// <param name="normalize">The normalizer, applied to text and to normalized tokens before matching them; null for none.</param>
    private protected TextTokenizer(
        string?[] vocabulary,
        int paddingTokenId,
        int maxLength,
        int[] startIds,
        int[] betweenIds,
        int[] endIds,
        bool usesTokenTypeIds,
        IReadOnlyCollection<SpecialToken> specialTokens,
        bool splitSpecialTokens,
        TextNormalization? normalize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, startIds.Length + endIds.Length, nameof(maxLength));
        _vocabulary = vocabulary;
        VocabularySize = Math.Max(vocabulary.Length, specialTokens.Select(t => t.Id + 1).DefaultIfEmpty(0).Max());
        PaddingTokenId = paddingTokenId;
        MaxLength = maxLength;
        _startIds = startIds;
        _betweenIds = betweenIds;
        _endIds = endIds;
        UsesTokenTypeIds = usesTokenTypeIds;
        _normalize = normalize;

        // The first entry of a content wins (added tokens come before the defaults, so their settings hold).
        _matchedTokens = splitSpecialTokens
            ? specialTokens.Where(t => t.Content.Length > 0).GroupBy(t => t.Content, StringComparer.Ordinal).Select(g => g.First()).ToArray()
            : [];
        _rawSplitter = new SpecialTokenSplitter(_matchedTokens.Where(t => !t.Normalized));
        _normalizedSplitter = new SpecialTokenSplitter(
            _matchedTokens.Where(t => t.Normalized).Select(t => normalize is null ? t : t with { Content = normalize(t.Content) }));
    }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int PaddingTokenId { get; }

    /// <inheritdoc />
    public int MaxLength { get; }

    /// <inheritdoc />
    public bool UsesTokenTypeIds { get; }

    /// <summary>
    /// The special and added tokens that are matched in input text, with their ids: verbatim, or after normalization
    /// for those that tokenizer.json marks <c>"normalized": true</c>.
    /// </summary>
    public IReadOnlyDictionary<string, int> SpecialTokens =>
        _matchedTokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);

    /// <inheritdoc />
    public int NumberOfSpecialTokens(bool pair) =>
        _startIds.Length + _endIds.Length + (pair ? _betweenIds.Length : 0);

    /// <summary>The vocabulary entry of <paramref name="id"/>, or null when the id is not in the vocabulary.</summary>
    public string? MapIdToToken(int id) =>
        id >= 0 && id < _vocabulary.Length ? _vocabulary[id] : SpecialTokens.FirstOrDefault(t => t.Value == id).Key;

    /// <inheritdoc />
    public IReadOnlyList<int> EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        AppendIds(text, ids);
        return ids;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Tokenize(string text) =>
        EncodeToIds(text).Select(id => MapIdToToken(id) ?? throw new InvalidOperationException($"Id {id} has no vocabulary entry.")).ToArray();

    /// <inheritdoc />
    public TokenizedText Encode(string text, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        int budget = ContentBudget(maxLength, pair: false);
        var content = new List<int>();
        AppendIds(text, content);
        int kept = Math.Min(content.Count, budget);

        var ids = new int[_startIds.Length + kept + _endIds.Length];
        var builder = new RowBuilder(ids);
        builder.Append(_startIds);
        builder.Append(content, kept);
        builder.Append(_endIds);
        return new TokenizedText(ids, new int[ids.Length]);
    }

    /// <inheritdoc />
    public TokenizedText Encode(string first, string second, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        int budget = ContentBudget(maxLength, pair: true);
        var a = new List<int>();
        var b = new List<int>();
        AppendIds(first, a);
        AppendIds(second, b);
        (int keptA, int keptB) = PairTruncation.LongestFirst(a.Count, b.Count, budget);

        var ids = new int[_startIds.Length + keptA + _betweenIds.Length + keptB + _endIds.Length];
        var builder = new RowBuilder(ids);
        builder.Append(_startIds);
        builder.Append(a, keptA);
        builder.Append(_betweenIds);
        int secondStart = builder.Position;
        builder.Append(b, keptB);
        builder.Append(_endIds);

        var types = new int[ids.Length];
        if (UsesTokenTypeIds)
        {
            // BERT: the second sentence and its closing [SEP] are segment 1.
            types.AsSpan(secondStart).Fill(1);
        }

        return new TokenizedText(ids, types);
    }

    /// <inheritdoc />
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var rows = new TokenizedText[texts.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"Text {i} of the batch is null.", nameof(texts));
            rows[i] = Encode(text, maxLength);
        }

        return TokenizedBatch.Pad(rows, PaddingTokenId);
    }

    /// <inheritdoc />
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> firsts, IReadOnlyList<string> seconds, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(firsts);
        ArgumentNullException.ThrowIfNull(seconds);
        if (firsts.Count != seconds.Count)
        {
            throw new ArgumentException(
                $"A pair batch needs as many second sentences as first ones: {firsts.Count} first, {seconds.Count} second.", nameof(seconds));
        }

        var rows = new TokenizedText[firsts.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            string first = firsts[i] ?? throw new ArgumentException($"First sentence {i} of the batch is null.", nameof(firsts));
            string second = seconds[i] ?? throw new ArgumentException($"Second sentence {i} of the batch is null.", nameof(seconds));
            rows[i] = Encode(first, second, maxLength);
        }

        return TokenizedBatch.Pad(rows, PaddingTokenId);
    }

    /// <summary>Appends the ids of normalized text that holds no special tokens.</summary>
    private protected abstract void AppendNormalizedTextIds(ReadOnlySpan<char> normalized, List<int> ids);

    private void AppendIds(string text, List<int> ids) =>
        _rawSplitter.Split(
            text.AsMemory(),
            raw =>
            {
                ReadOnlyMemory<char> normalized = _normalize is null ? raw : _normalize(raw.Span).AsMemory();
                _normalizedSplitter.Split(normalized, piece => AppendNormalizedTextIds(piece.Span, ids), special => ids.Add(special.Id));
            },
            special => ids.Add(special.Id));

    private int ContentBudget(int? maxLength, bool pair)
    {
        int length = maxLength ?? MaxLength;
        int specials = NumberOfSpecialTokens(pair);
        if (length < specials)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxLength), length, $"The maximum length must leave room for the {specials} special tokens of a {(pair ? "pair" : "single sentence")}.");
        }

        return length - specials;
    }

    private ref struct RowBuilder(Span<int> row)
    {
        private readonly Span<int> _row = row;

        public int Position { get; private set; }

        public void Append(ReadOnlySpan<int> ids)
        {
            ids.CopyTo(_row[Position..]);
            Position += ids.Length;
        }

        public void Append(List<int> ids, int count)
        {
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids)[..count].CopyTo(_row[Position..]);
            Position += count;
        }
    }
}
