namespace Microsoft.ML.Peft.Training.Data;

/// <summary>Seeded train/validation split of row positions.</summary>
public static class DataSplit
{
    /// <summary>
    /// Splits rows 0…<paramref name="count"/>−1 into a training and a held-out validation part. The validation part
    /// holds <c>round(count · fraction)</c> rows, halves rounded away from zero, then clamped to at most
    /// <c>count − 1</c> (training always keeps a row, so a single row is never held out) and, when the fraction is
    /// positive and at least two rows exist, to at least one. The choice depends only on <paramref name="seed"/> and
    /// <paramref name="count"/>; both parts are returned in ascending order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in [0, 1).</exception>
    public static (int[] Train, int[] Validation) Split(int count, double fraction, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(fraction >= 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be in [0, 1).");
        }

        int validationCount = (int)Math.Round(count * fraction, MidpointRounding.AwayFromZero);
        if (count >= 1)
        {
            // A model cannot train on nothing: the last row stays in training even when the fraction rounds it away.
            validationCount = Math.Min(validationCount, count - 1);
        }

        if (fraction > 0 && count >= 2)
        {
            validationCount = Math.Max(validationCount, 1);
        }

        int[] order = Enumerable.Range(0, count).ToArray();
        SeededRandom.For(seed, RandomStream.ValidationSplit, count).Shuffle(order.AsSpan());
        int[] validation = order[..validationCount];
        int[] train = order[validationCount..];
        Array.Sort(validation);
        Array.Sort(train);
        return (train, validation);
    }
}
