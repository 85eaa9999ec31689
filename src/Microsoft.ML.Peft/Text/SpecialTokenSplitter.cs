using System.Globalization;
using System.Text;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Splits text into plain segments and special tokens, so that e.g. "a [SEP] b" keeps [SEP] as one id instead of
/// WordPiece-ing "[", "sep", "]". Matches as Hugging Face's AddedVocabulary does: leftmost first, longest at a
/// position, never overlapping.
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
    public void Split(ReadOnlyMemory<char> text, Action<ReadOnlyMemory<char>> onText, Action<SpecialToken> onSpecial)
    {
        if (_tokensLongestFirst.Length == 0)
        {
            if (text.Length > 0)
            {
                onText(text);
            }

            return;
        }

        ReadOnlySpan<char> span = text.Span;
        int segmentStart = 0;
        int position = 0;
        bool stripNextLeadingSpace = false;
        while (position < span.Length)
        {
            int candidate = span[position..].IndexOfAny(_firstCharacters);
            if (candidate < 0)
            {
                break;
            }

            position += candidate;
            SpecialToken? match = MatchAt(span, position);
            if (match is null)
            {
                position++;
                continue;
            }

            if (match.SingleWord && !StandsAlone(span, position, match.Content.Length))
            {
                // Hugging Face drops such a match but still resumes after it: its matches never overlap.
                position += match.Content.Length;
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

    private SpecialToken? MatchAt(ReadOnlySpan<char> text, int position)
    {
        foreach (SpecialToken token in _tokensLongestFirst)
        {
            if (text[position..].StartsWith(token.Content, StringComparison.Ordinal))
            {
                return token;
            }
        }

        return null;
    }

    /// <summary>Whether the match has no word character right before or right after it (the edges of the text count as neither).</summary>
    private static bool StandsAlone(ReadOnlySpan<char> text, int start, int length)
    {
        int end = start + length;
        bool wordBefore = start > 0 && Rune.DecodeLastFromUtf16(text[..start], out Rune before, out _) == System.Buffers.OperationStatus.Done && IsWordCharacter(before);
        bool wordAfter = end < text.Length && Rune.DecodeFromUtf16(text[end..], out Rune after, out _) == System.Buffers.OperationStatus.Done && IsWordCharacter(after);
        return !wordBefore && !wordAfter;
    }

    // Rust regex's Unicode \w, which Hugging Face uses for single_word: Alphabetic, marks, decimal digits, connector
    // punctuation and the joiners. Alphabetic is approximated by letters and letter numbers.
    private static bool IsWordCharacter(Rune rune) =>
        rune.Value is 0x200C or 0x200D
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.LetterNumber or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation;

    private static void EmitSegment(ReadOnlyMemory<char> text, int start, int end, bool stripLeading, bool stripTrailing, Action<ReadOnlyMemory<char>> onText)
    {
        ReadOnlySpan<char> span = text.Span;
        if (stripLeading)
        {
            while (start < end && char.IsWhiteSpace(span[start]))
            {
                start++;
            }
        }

        if (stripTrailing)
        {
            while (end > start && char.IsWhiteSpace(span[end - 1]))
            {
                end--;
            }
        }

        if (end > start)
        {
            onText(text[start..end]);
        }
    }
}
