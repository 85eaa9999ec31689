namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// How a scorer splits the rows it is given into forward passes: in order, or grouped by length so that rows padded
/// together have similar lengths (padding is compute spent on nothing). Either way the scores come back in input order.
/// </summary>
internal static class ScoringBatches
{
    /// <summary>Consecutive groups of at most <paramref name="batchSize"/> row indices.</summary>
    public static IEnumerable<int[]> InOrder(int count, int batchSize) => Enumerable.Range(0, count).Chunk(batchSize);

    /// <summary>
    /// Groups of at most <paramref name="batchSize"/> row indices, sorted by <paramref name="lengths"/> (stable, so equal
    /// lengths keep their order). Rows that fit in one batch keep their order: sorting them would save nothing.
    /// </summary>
    public static IEnumerable<int[]> ByLength(IReadOnlyList<int> lengths, int batchSize) =>
        lengths.Count <= batchSize
            ? InOrder(lengths.Count, batchSize)
            : Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).Chunk(batchSize);

    /// <summary>Scores each group with <paramref name="score"/> and puts every row's scores back at its input position.</summary>
    public static float[][] Gather(int count, IEnumerable<int[]> groups, Func<int[], float[][]> score)
    {
        var scores = new float[count][];
        foreach (int[] group in groups)
        {
            float[][] groupScores = score(group);
            for (int i = 0; i < group.Length; i++)
            {
                scores[group[i]] = groupScores[i];
            }
        }

        return scores;
    }
}
