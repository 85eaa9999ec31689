namespace Microsoft.ML.Peft.Text;

/// <summary>The inputs a <see cref="BertTextTokenizer"/> was built from (vocabulary by id, with holes; options; added tokens).</summary>
internal sealed record BertTokenizerDefinition(string?[] Vocabulary, BertTokenizerOptions Options, SpecialToken[] AddedTokens);

/// <summary>The inputs a <see cref="RobertaTextTokenizer"/> was built from (vocabulary, merges in rank order, options, added tokens).</summary>
internal sealed record RobertaTokenizerDefinition(
    IReadOnlyDictionary<string, int> Vocabulary, string[] Merges, RobertaTokenizerOptions Options, SpecialToken[] AddedTokens);
