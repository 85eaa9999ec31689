namespace Microsoft.ML.Peft.Text;

/// <summary>Settings of a <see cref="RobertaTextTokenizer"/>; the defaults are those of roberta-base.</summary>
public sealed class RobertaTokenizerOptions
{
    /// <summary>
    /// Put a space before text that does not start with one, so the first word is encoded like any other
    /// ("Ġhello" instead of "hello"), as Hugging Face's <c>add_prefix_space</c>. Only a space (' ') counts: text that
    /// starts with another white space character, such as a newline, gets the space too, as in the fast tokenizer. Default false.
    /// </summary>
    public bool AddPrefixSpace { get; set; }

    /// <summary>The default total length, special tokens included, that encodings are truncated to (<c>model_max_length</c>). Default 512.</summary>
    public int MaxLength { get; set; } = 512;

    /// <summary>The token that starts every encoding. Default <c>&lt;s&gt;</c>.</summary>
    public string BeginningOfSentenceToken { get; set; } = "<s>";

    /// <summary>The token that ends each sentence. Default <c>&lt;/s&gt;</c>.</summary>
    public string EndOfSentenceToken { get; set; } = "</s>";

    /// <summary>The padding token. Default <c>&lt;pad&gt;</c>.</summary>
    public string PaddingToken { get; set; } = "<pad>";

    /// <summary>The unknown token (optional: byte-level BPE rarely needs it). Default <c>&lt;unk&gt;</c>.</summary>
    public string UnknownToken { get; set; } = "<unk>";

    /// <summary>The mask token (optional); it swallows the white space before it, as in Hugging Face. Default <c>&lt;mask&gt;</c>.</summary>
    public string MaskToken { get; set; } = "<mask>";

    /// <summary>Match special tokens such as <c>&lt;/s&gt;</c> verbatim in the input text (as Hugging Face does). Default true.</summary>
    public bool SplitSpecialTokens { get; set; } = true;

    internal RobertaTokenizerOptions Clone() => (RobertaTokenizerOptions)MemberwiseClone();
}
