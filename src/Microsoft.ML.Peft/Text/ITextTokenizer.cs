namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Turns text (single sentences or sentence pairs) into the model inputs of a transformer encoder:
/// token ids with the model's special tokens, token type ids, and padded batches with attention masks.
/// </summary>
/// <remarks>
/// Implementations: <see cref="BertTextTokenizer"/> (WordPiece, <c>[CLS] a [SEP] b [SEP]</c>) and
/// <see cref="RobertaTextTokenizer"/> (byte-level BPE, <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>).
/// Instances are immutable once created.
/// </remarks>
public interface ITextTokenizer
{
    /// <summary>The number of rows the model's token embedding needs (largest token id + 1).</summary>
    int VocabularySize { get; }

    /// <summary>The id used to pad rows of a batch.</summary>
    int PaddingTokenId { get; }

    /// <summary>The default total length (special tokens included) that encodings are truncated to.</summary>
    int MaxLength { get; }

    /// <summary>
    /// Whether the model distinguishes the two sentences of a pair by token type (BERT: yes, 0 then 1;
    /// RoBERTa: no, all token types are 0).
    /// </summary>
    bool UsesTokenTypeIds { get; }

    /// <summary>How many special tokens an encoding adds: for a single sentence, or for a pair.</summary>
    int NumberOfSpecialTokens(bool pair);

    /// <summary>The ids of <paramref name="text"/> without special tokens and without truncation.</summary>
    IReadOnlyList<int> EncodeToIds(string text);

    /// <summary>The token strings of <paramref name="text"/> (as the vocabulary spells them), without special tokens.</summary>
    IReadOnlyList<string> Tokenize(string text);

    /// <summary>Encodes one sentence with special tokens, truncated to <paramref name="maxLength"/> (default <see cref="MaxLength"/>).</summary>
    TokenizedText Encode(string text, int? maxLength = null);

    /// <summary>
    /// Encodes a sentence pair with special tokens, truncated to <paramref name="maxLength"/> (default <see cref="MaxLength"/>)
    /// with the longest-first strategy.
    /// </summary>
    TokenizedText Encode(string first, string second, int? maxLength = null);

    /// <summary>Encodes sentences and pads them to the longest row of the batch.</summary>
    TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null);

    /// <summary>Encodes sentence pairs (<paramref name="firsts"/>[i], <paramref name="seconds"/>[i]) and pads them to the longest row.</summary>
    TokenizedBatch EncodeBatch(IReadOnlyList<string> firsts, IReadOnlyList<string> seconds, int? maxLength = null);
}
