namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// The batches of one epoch, as row positions: a seeded shuffle, then optional length bucketing (rows sorted by length
/// within windows of <c>window × batchSize</c> consecutive shuffled rows, window = min(the option, rows / (4 × batchSize)),
/// at least 1, the windows cut into batches, and the batch order shuffled again), as Hugging Face's
/// <c>group_by_length</c> does to cut padding. The plan is a pure function of
/// its arguments, so a resumed run can rebuild it and continue at any batch.
/// </summary>
internal static class EpochPlan
{
    /// <summary>
    /// The plan rule of new runs. Rule 1 (checkpoints written before 2026-12-03) used windows of the option's full size
    /// on data sets of any size; a run resumed from such a checkpoint keeps it, so its epochs are the ones it started.
    /// </summary>
    public const int CurrentRule = 2;

    public static int[][] ForTraining(
        int count, int batchSize, long seed, int epoch, bool shuffle, Func<int, int>? lengthOf, int bucketWindowBatches, int rule = CurrentRule)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int[] order = Enumerable.Range(0, count).ToArray();
        if (shuffle)
        {
            SeededRandom.For(seed, RandomStream.Shuffle, epoch).Shuffle(order.AsSpan());
        }

        if (lengthOf is null || bucketWindowBatches <= 0)
        {
            return Cut(order, batchSize);
        }

        // As Hugging Face's get_length_grouped_indices: at most a quarter of the epoch's batches per window (at least one),
        // so a small data set still has several windows and its batches change from epoch to epoch.
        int windowBatches = rule < 2 ? bucketWindowBatches : Math.Max(1, Math.Min(bucketWindowBatches, count / (4 * batchSize)));
        int window = checked(windowBatches * batchSize);
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += window)
        {
            int[] rows = order[start..Math.Min(order.Length, start + window)];

            // Longest first within a window; ties keep their shuffled order (OrderBy is stable).
            batches.AddRange(Cut(rows.OrderByDescending(lengthOf).ToArray(), batchSize));
        }

        int[][] result = batches.ToArray();
        if (shuffle)
        {
            SeededRandom.For(seed, RandomStream.BatchOrder, epoch).Shuffle(result.AsSpan());
        }

        return result;
    }

    /// <summary>Evaluation batches: every row once, sorted by length when lengths are known (order does not change metrics).</summary>
    public static int[][] ForEvaluation(int count, int batchSize, Func<int, int>? lengthOf)
    {
        IEnumerable<int> rows = Enumerable.Range(0, count);
        return Cut((lengthOf is null ? rows : rows.OrderByDescending(lengthOf)).ToArray(), batchSize);
    }

    public static int BatchCount(int count, int batchSize) => (count + batchSize - 1) / batchSize;

    private static int[][] Cut(int[] rows, int batchSize)
    {
        var batches = new int[BatchCount(rows.Length, batchSize)][];
        for (int b = 0; b < batches.Length; b++)
        {
            batches[b] = rows[(b * batchSize)..Math.Min(rows.Length, (b + 1) * batchSize)];
        }

        return batches;
    }
}
