namespace Microsoft.ML.Peft.Transforms;

/// <summary>The names of the columns that <see cref="TextTokenizingTransformer"/> adds.</summary>
public static class TextTokenizingColumns
{
    /// <summary>Token ids including the special tokens ([CLS] … [SEP] or &lt;s&gt; … &lt;/s&gt;): a variable-size vector of Int64.</summary>
    public const string InputIds = "InputIds";

    /// <summary>Segment ids (0 for the first text, 1 for the second): a variable-size vector of Int64; only for tokenizers that use them (BERT).</summary>
    public const string TokenTypeIds = "TokenTypeIds";
}
