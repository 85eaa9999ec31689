namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Splits raw text into plain segments and special tokens, so that e.g. "a [SEP] b" keeps [SEP] as one id
/// instead of WordPiece-ing "[", "sep", "]" (Hugging Face matches special tokens before normalizing).
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly SpecialToken[] _tokensLongestFirst;
    private readonly string _firstCharacters;

    public SpecialTokenSplitter(IEnumerable<SpecialToken> tokens)
    {
        // Longest first so that a token that is a prefix of another never wins over it.
        _tokensLongestFirst = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderByDescending(t => t.Content.Length)
            .ToArray();
        _firstCharacters = new string(_tokensLongestFirst.Select(t => t.Content[0]).Distinct().ToArray());
    }

    public IReadOnlyList<SpecialToken> Tokens => _tokensLongestFirst;

    /// <summary>
    /// Calls <paramref name="onText"/> for each plain segment (never empty) and <paramref name="onSpecial"/> for each special token, in order.
    /// </summary>
    public void Split(string text, Action<ReadOnlyMemory<char>> onText, Action<SpecialToken> onSpecial)
    {
        if (_tokensLongestFirst.Length == 0)
        {
            if (text.Length > 0)
            {
                onText(text.AsMemory());
            }

            return;
        }

        int segmentStart = 0;
        int position = 0;
        bool stripNextLeadingSpace = false;
        while (position < text.Length)
        {
            int candidate = text.AsSpan(position).IndexOfAny(_firstCharacters);
            if (candidate < 0)
            {
                break;
            }

            position += candidate;
            SpecialToken? match = MatchAt(text, position);
            if (match is null)
            {
                position++;
                continue;
            }

            EmitSegment(text, segmentStart, position, stripNextLeadingSpace, match.StripLeft, onText);
            onSpecial(match);
            position += match.Content.Length;
            segmentStart = position;
            stripNextLeadingSpace = match.StripRight;
        }

        EmitSegment(text, segmentStart, text.Length, stripNextLeadingSpace, stripTrailing: false, onText);
    }

    private SpecialToken? MatchAt(string text, int position)
    {
        foreach (SpecialToken token in _tokensLongestFirst)
        {
            if (text.AsSpan(position).StartsWith(token.Content, StringComparison.Ordinal))
            {
                return token;
            }
        }

        return null;
    }

    private static void EmitSegment(string text, int start, int end, bool stripLeading, bool stripTrailing, Action<ReadOnlyMemory<char>> onText)
    {
        if (stripLeading)
        {
            while (start < end && char.IsWhiteSpace(text[start]))
            {
                start++;
            }
        }

        if (stripTrailing)
        {
            while (end > start && char.IsWhiteSpace(text[end - 1]))
            {
                end--;
            }
        }

        if (end > start)
        {
            onText(text.AsMemory(start, end - start));
        }
    }
}
