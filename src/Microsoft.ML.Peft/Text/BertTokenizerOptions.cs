namespace Microsoft.ML.Peft.Text;

/// <summary>Settings of a <see cref="BertTextTokenizer"/>; the defaults are those of bert-base-uncased.</summary>
public sealed class BertTokenizerOptions
{
    /// <summary>Lower-case the text before WordPiece (Hugging Face <c>do_lower_case</c> / <c>lowercase</c>). Default true.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>
    /// Remove accents (NFD, then drop non-spacing marks), e.g. "Café" → "cafe" (<c>strip_accents</c>).
    /// Null, the default, means "same as <see cref="LowerCase"/>", as in Hugging Face.
    /// </summary>
    public bool? StripAccents { get; set; }

    /// <summary>Drop control characters and turn every white space character into a space (<c>clean_text</c>). Default true.</summary>
    public bool CleanText { get; set; } = true;

    /// <summary>Make every CJK ideograph a word of its own (<c>handle_chinese_chars</c> / <c>tokenize_chinese_chars</c>). Default true.</summary>
    public bool HandleChineseCharacters { get; set; } = true;

    /// <summary>The default total length, special tokens included, that encodings are truncated to (<c>model_max_length</c>). Default 512.</summary>
    public int MaxLength { get; set; } = 512;

    /// <summary>The unknown token. Default <c>[UNK]</c>.</summary>
    public string UnknownToken { get; set; } = "[UNK]";

    /// <summary>The classification token that starts every encoding. Default <c>[CLS]</c>.</summary>
    public string ClassificationToken { get; set; } = "[CLS]";

    /// <summary>The separator token that ends each sentence. Default <c>[SEP]</c>.</summary>
    public string SeparatorToken { get; set; } = "[SEP]";

    /// <summary>The padding token. Default <c>[PAD]</c>.</summary>
    public string PaddingToken { get; set; } = "[PAD]";

    /// <summary>The mask token (optional in the vocabulary). Default <c>[MASK]</c>.</summary>
    public string MaskToken { get; set; } = "[MASK]";

    /// <summary>The prefix of word pieces that continue a word. Default <c>##</c>.</summary>
    public string ContinuingSubwordPrefix { get; set; } = "##";

    /// <summary>Words longer than this become the unknown token. Default 100.</summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <summary>Match special tokens such as <c>[SEP]</c> verbatim in the input text (as Hugging Face does). Default true.</summary>
    public bool SplitSpecialTokens { get; set; } = true;

    internal bool EffectiveStripAccents => StripAccents ?? LowerCase;

    internal BertTokenizerOptions Clone() => (BertTokenizerOptions)MemberwiseClone();
}
