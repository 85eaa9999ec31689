using System.Text;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

/// <summary>Longest-first truncation of sentence pairs, on a vocabulary where every word "x" is one token.</summary>
public sealed class PairTruncationTests
{
    private static readonly BertTextTokenizer Tokenizer = BertTextTokenizer.FromVocab(
        new MemoryStream(Encoding.UTF8.GetBytes("[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\ny\n")), new BertTokenizerOptions { MaxLength = 64 });

    [Theory]
    [InlineData(3, 4, 7, 3, 4)] // fits: untouched
    [InlineData(10, 2, 6, 4, 2)] // only the longer (first) is cut
    [InlineData(2, 10, 6, 2, 4)] // only the longer (second) is cut
    [InlineData(10, 8, 7, 4, 3)] // both cut; the longer keeps the odd token
    [InlineData(8, 10, 7, 3, 4)]
    [InlineData(5, 5, 7, 3, 4)] // equal lengths: the odd token goes to the second (as the fast Hugging Face tokenizer)
    [InlineData(5, 5, 8, 4, 4)]
    [InlineData(4, 9, 8, 4, 4)] // the shorter fills half the budget exactly
    [InlineData(0, 10, 4, 0, 4)]
    [InlineData(9, 1, 0, 0, 0)]
    [InlineData(6, 1, 1, 1, 0)]
    public void LongestFirstMatchesHuggingFace(int first, int second, int budget, int keptFirst, int keptSecond)
    {
        Assert.Equal((keptFirst, keptSecond), Kept(first, second, budget));
    }

    [Theory]
    [InlineData(10, 8, 7)]
    [InlineData(3, 30, 11)]
    [InlineData(12, 12, 12)]
    [InlineData(20, 3, 9)]
    public void LongestFirstRemovesOneTokenAtATimeFromTheLongerSentence(int first, int second, int budget)
    {
        // Reference: one token at a time off the longer sentence; on a tie off the one that was shorter at the start
        // (the first when they started equal), so the originally longer one keeps an odd leftover.
        int a = first;
        int b = second;
        while (a + b > budget)
        {
            if (a > b || (a == b && first <= second))
            {
                a--;
            }
            else
            {
                b--;
            }
        }

        Assert.Equal((a, b), Kept(first, second, budget));
    }

    [Fact]
    public void KeepsTheStartOfEachSentence()
    {
        TokenizedText encoded = Tokenizer.Encode("x x y y", "y y x x", maxLength: 3 + 4);
        Assert.Equal(new[] { 2, 4, 4, 3, 5, 5, 3 }, encoded.InputIds);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1 }, encoded.TokenTypeIds);
    }

    private static (int First, int Second) Kept(int first, int second, int budget)
    {
        string a = string.Join(' ', Enumerable.Repeat("x", first));
        string b = string.Join(' ', Enumerable.Repeat("y", second));
        TokenizedText encoded = Tokenizer.Encode(a, b, maxLength: budget + 3);
        Assert.Equal(encoded.Length, budget >= first + second ? first + second + 3 : budget + 3);
        return (encoded.InputIds.Count(id => id == 4), encoded.InputIds.Count(id => id == 5));
    }
}
