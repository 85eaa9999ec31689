namespace Microsoft.ML.Peft.Text;

/// <summary>One encoded row: token ids with special tokens and their token type ids, not padded.</summary>
public sealed class TokenizedText
{
    private readonly int[] _inputIds;
    private readonly int[] _tokenTypeIds;

    /// <summary>Creates a row from ids and token types of the same length; the arrays are kept, not copied.</summary>
    /// <exception cref="ArgumentException">The two arrays differ in length.</exception>
    public TokenizedText(int[] inputIds, int[] tokenTypeIds)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(tokenTypeIds);
        if (inputIds.Length != tokenTypeIds.Length)
        {
            throw new ArgumentException(
                $"Token type ids ({tokenTypeIds.Length}) must be as many as input ids ({inputIds.Length}).", nameof(tokenTypeIds));
        }

        _inputIds = inputIds;
        _tokenTypeIds = tokenTypeIds;
    }

    /// <summary>The token ids, special tokens included.</summary>
    public IReadOnlyList<int> InputIds => _inputIds;

    /// <summary>The token type (segment) id of each token: 0 for the first sentence, 1 for the second where the model uses them.</summary>
    public IReadOnlyList<int> TokenTypeIds => _tokenTypeIds;

    /// <summary>The number of tokens.</summary>
    public int Length => _inputIds.Length;

    internal ReadOnlySpan<int> InputIdSpan => _inputIds;

    internal ReadOnlySpan<int> TokenTypeIdSpan => _tokenTypeIds;
}
