namespace Microsoft.ML.Peft.Samples;

/// <summary>Seeded, reproducible row selection: a class-stratified train/test split and a random subset.</summary>
public static class SeededRows
{
    /// <summary>
    /// Splits <paramref name="rows"/> so each class keeps about <paramref name="testFraction"/> of its rows in the test part
    /// (at least one when the class has two or more), so small data sets keep every class on both sides.
    /// </summary>
    public static (List<TRow> Train, List<TRow> Test) StratifiedSplit<TRow>(IReadOnlyList<TRow> rows, double testFraction, int seed)
        where TRow : ILabelledRow
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(testFraction, 1);
        var random = new Random(seed);
        var train = new List<TRow>();
        var test = new List<TRow>();
        foreach (IGrouping<string, TRow> group in rows.GroupBy(r => r.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            TRow[] members = group.ToArray();
            random.Shuffle(members);
            int testCount = members.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(members.Length * testFraction));
            test.AddRange(members[..testCount]);
            train.AddRange(members[testCount..]);
        }

        // Grouping sorted the rows by class; the trainer shuffles anyway, but a printed or capped list should not be sorted.
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(test));
        return (train, test);
    }

    /// <summary>A seeded random <paramref name="maxRows"/> of <paramref name="rows"/> (all of them, shuffled, when there are fewer or <paramref name="maxRows"/> is null).</summary>
    public static List<TRow> Take<TRow>(IReadOnlyList<TRow> rows, int? maxRows, int seed)
    {
        TRow[] shuffled = rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        return maxRows is { } limit && limit < shuffled.Length ? shuffled[..limit].ToList() : shuffled.ToList();
    }
}
