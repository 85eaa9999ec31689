namespace Microsoft.ML.Peft.Training;

/// <summary>
/// A small deterministic random generator (SplitMix64) whose sequence depends only on its seed, never on the .NET
/// version or on thread timing. Training derives one generator per purpose from (seed, purpose, epoch, index), so
/// shuffling, splits and augmentation can be recomputed from the data position alone (no state to checkpoint).
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed)
    {
        _state = seed;
    }

    /// <summary>A generator for one purpose and position: the seed and every key are mixed into the starting state.</summary>
    public static SeededRandom For(long seed, RandomStream stream, params long[] keys) => new(Derive(seed, stream, keys));

    /// <summary>Mixes <paramref name="seed"/>, the stream and <paramref name="keys"/> into one well-spread 64-bit value.</summary>
    public static ulong Derive(long seed, RandomStream stream, params long[] keys)
    {
        ulong state = Mix(unchecked((ulong)seed) ^ 0x9E3779B97F4A7C15UL);
        state = Mix(state ^ (ulong)stream);
        foreach (long key in keys)
        {
            state = Mix(state ^ unchecked((ulong)key));
        }

        return state;
    }

    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A double uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double NextDouble(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>An integer uniform in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong range = (ulong)exclusiveMax;
        ulong limit = ulong.MaxValue - (ulong.MaxValue % range);
        ulong value;
        do
        {
            value = NextUInt64();
        }
        while (value >= limit);

        return (int)(value % range);
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}

/// <summary>The purposes random numbers are drawn for; each gets an independent stream.</summary>
internal enum RandomStream : ulong
{
    Shuffle = 1,
    BatchOrder = 2,
    ValidationSplit = 3,
    Augmentation = 4,
    TorchGenerator = 5,
}
