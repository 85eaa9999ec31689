namespace Microsoft.ML.Peft.Text;

/// <summary>How many tokens of each sentence survive truncation to a token budget.</summary>
internal static class PairTruncation
{
    /// <summary>
    /// Hugging Face's "longest_first" for a pair, as its (default, fast) Rust tokenizer computes it: tokens come off the
    /// longer sentence until both are equally long, then off both in turn; when the budget is odd the extra token stays
    /// with the sentence that was longer (the second one when they were equally long). The Python ("slow") tokenizer
    /// removes one token at a time in the same way but gives an odd leftover to the first sentence.
    /// </summary>
    public static (int First, int Second) LongestFirst(int firstLength, int secondLength, int budget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        if (firstLength + secondLength <= budget)
        {
            return (firstLength, secondLength);
        }

        bool swapped = firstLength > secondLength;
        int shorter = swapped ? secondLength : firstLength;
        int longer;
        if (shorter > budget)
        {
            longer = shorter;
        }
        else
        {
            longer = Math.Max(shorter, budget - shorter);
        }

        if (shorter + longer > budget)
        {
            shorter = budget / 2;
            longer = shorter + (budget % 2);
        }

        return swapped ? (longer, shorter) : (shorter, longer);
    }
}
