using System.Text;
using System.Text.Json;

namespace Microsoft.ML.Peft.Tests.Text;

/// <summary>
/// A small RoBERTa-style vocabulary written by the tests: the four special tokens, the 256 byte characters of GPT-2's
/// byte-to-unicode table, and the tokens of a few merges, plus a mask token at the end.
/// </summary>
internal sealed class ByteLevelTestVocabulary
{
    public static readonly string[] Merges =
    [
        "H e", "He l", "Hel l", "Hell o", // Hello
        "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", // Ġworld
        "Ã ©", // é as UTF-8 bytes C3 A9
        "o l", "l o", // "ol" outranks "lo"
    ];

    public ByteLevelTestVocabulary(string[]? specialTokens = null)
    {
        foreach (string special in specialTokens ?? ["<s>", "<pad>", "</s>", "<unk>"])
        {
            Ids[special] = Ids.Count;
        }

        for (int b = 0; b < 256; b++)
        {
            Ids[ByteCharacter(b).ToString()] = Ids.Count;
        }

        foreach (string merge in Merges)
        {
            Ids.TryAdd(merge.Replace(" ", ""), Ids.Count);
        }

        Ids["<mask>"] = Ids.Count;
    }

    public Dictionary<string, int> Ids { get; } = new(StringComparer.Ordinal);

    public string VocabJson => JsonSerializer.Serialize(Ids);

    public static string MergesText => "#version: 0.2\n" + string.Join("\n", Merges) + "\n";

    public int this[string token] => Ids[token];

    public Stream VocabStream() => new MemoryStream(Encoding.UTF8.GetBytes(VocabJson));

    public static Stream MergesStream() => new MemoryStream(Encoding.UTF8.GetBytes(MergesText));

    /// <summary>GPT-2's printable stand-in for a byte: printable Latin-1 stays, the rest map to U+0100 onwards in byte order.</summary>
    public static char ByteCharacter(int b)
    {
        static bool Printable(int x) => x is (>= '!' and <= '~') or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
        if (Printable(b))
        {
            return (char)b;
        }

        int shifted = 0;
        for (int x = 0; x < b; x++)
        {
            if (!Printable(x))
            {
                shifted++;
            }
        }

        return (char)(256 + shifted);
    }
}
