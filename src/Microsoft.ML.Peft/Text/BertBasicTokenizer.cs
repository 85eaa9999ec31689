using System.Globalization;
using System.Text;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// BERT's "basic tokenization" before WordPiece, following Hugging Face's BertNormalizer + BertPreTokenizer:
/// drop control characters and map white space to ' ' (clean_text), put spaces around CJK ideographs
/// (handle_chinese_chars), strip accents (NFD, then drop non-spacing marks), lower-case, then split on white space
/// and make every punctuation character a word of its own.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' own BertTokenizer basic tokenization drops symbols such as '$', '+', '^', '©' and emoji
/// instead of keeping them as words, so only its WordPiece step is used.
/// </remarks>
internal sealed class BertBasicTokenizer(bool cleanText, bool handleChineseCharacters, bool stripAccents, bool lowercase)
{
    /// <summary>Cleans, spaces CJK, strips accents and lower-cases, in Hugging Face's order.</summary>
    public string Normalize(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length + 8);
        Span<char> utf16 = stackalloc char[2];
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (cleanText)
            {
                // Lone surrogates arrive here as U+FFFD and are dropped with it, as Hugging Face drops U+FFFD.
                if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune))
                {
                    continue;
                }

                if (IsCleanedToSpace(rune))
                {
                    builder.Append(' ');
                    continue;
                }
            }

            int length = rune.EncodeToUtf16(utf16);
            if (handleChineseCharacters && IsCjkIdeograph(rune.Value))
            {
                builder.Append(' ').Append(utf16[..length]).Append(' ');
            }
            else
            {
                builder.Append(utf16[..length]);
            }
        }

        string normalized = builder.ToString();
        if (stripAccents)
        {
            normalized = RemoveNonSpacingMarks(normalized.Normalize(NormalizationForm.FormD));
        }

        return lowercase ? normalized.ToLowerInvariant() : normalized;
    }

    /// <summary>Appends the (start, length) of each word of <paramref name="normalized"/>: white space separates, punctuation stands alone.</summary>
    public static void SplitWords(ReadOnlySpan<char> normalized, List<(int Start, int Length)> words)
    {
        int wordStart = -1;
        int position = 0;
        while (position < normalized.Length)
        {
            Rune.DecodeFromUtf16(normalized[position..], out Rune rune, out int consumed);
            bool whitespace = Rune.IsWhiteSpace(rune) || IsCleanedToSpace(rune);
            bool punctuation = !whitespace && IsPunctuation(rune);
            if (whitespace || punctuation)
            {
                if (wordStart >= 0)
                {
                    words.Add((wordStart, position - wordStart));
                    wordStart = -1;
                }

                if (punctuation)
                {
                    words.Add((position, consumed));
                }
            }
            else if (wordStart < 0)
            {
                wordStart = position;
            }

            position += consumed;
        }

        if (wordStart >= 0)
        {
            words.Add((wordStart, normalized.Length - wordStart));
        }
    }

    private static string RemoveNonSpacingMarks(string decomposed)
    {
        var builder = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    // Tab, CR and LF count as white space, not as control characters; every other "C*" category is control.
    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsCleanedToSpace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r'
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    // All non-letter/number ASCII is punctuation for BERT (so '$', '+', '^', '`' split off), plus Unicode "P*".
    private static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if (cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideograph blocks BERT spaces out (not Hiragana, Katakana or Hangul).
    private static bool IsCjkIdeograph(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
