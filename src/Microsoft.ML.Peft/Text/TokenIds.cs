namespace Microsoft.ML.Peft.Text;

/// <summary>
/// The id of every token a tokenizer knows: its vocabulary, then the added tokens the vocabulary lacks (a vocabulary
/// entry wins over an added token of the same content). Tokenizers look their special tokens up here; a required one
/// that is absent fails with the source's name.
/// </summary>
internal sealed class TokenIds
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly string _sourceName;

    /// <param name="vocabulary">Token → id pairs; for a repeated token the last id wins.</param>
    /// <param name="addedTokens">The tokenizer.json's added tokens.</param>
    /// <param name="sourceName">Names the vocabulary in errors.</param>
    public TokenIds(IEnumerable<KeyValuePair<string, int>> vocabulary, IEnumerable<SpecialToken> addedTokens, string sourceName)
    {
        foreach ((string token, int id) in vocabulary)
        {
            _ids[token] = id;
        }

        foreach (SpecialToken added in addedTokens)
        {
            _ids.TryAdd(added.Content, added.Id);
        }

        _sourceName = sourceName;
    }

    /// <summary>The largest id of a vocabulary or added token.</summary>
    public int MaxId => _ids.Values.Max();

    /// <summary>The id of <paramref name="token"/>; <paramref name="role"/> (for example "padding") names it in the error.</summary>
    /// <exception cref="TokenizerFileException">The token is unknown.</exception>
    public int Require(string token, string role) =>
        _ids.TryGetValue(token, out int id)
            ? id
            : throw new TokenizerFileException(_sourceName, $"the vocabulary has no {role} token '{token}'.");

    /// <summary>The id of <paramref name="token"/>, or null when it is unknown.</summary>
    public int? Find(string token) => _ids.TryGetValue(token, out int id) ? id : null;
}
