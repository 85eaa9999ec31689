namespace Microsoft.ML.Peft.Text;

/// <summary>A tokenizer's normalizer (for BERT: clean text, space CJK, strip accents, lower-case).</summary>
internal delegate string TextNormalization(ReadOnlySpan<char> text);
