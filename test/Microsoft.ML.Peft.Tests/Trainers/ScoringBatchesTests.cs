using Microsoft.ML.Peft.Trainers;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>How Transform's scorers split a window of rows into forward passes, and put the scores back.</summary>
public sealed class ScoringBatchesTests
{
    [Fact]
    public void RowsAreGroupedByLengthAndTheirScoresComeBackInInputOrder()
    {
        int[] lengths = [9, 2, 7, 2, 5, 9, 1];
        int[][] groups = ScoringBatches.ByLength(lengths, batchSize: 3).ToArray();

        // Stable sort by length: 6(1) 1(2) 3(2) | 4(5) 2(7) 0(9) | 5(9).
        Assert.Equal([[6, 1, 3], [4, 2, 0], [5]], groups);
        float[][] scores = ScoringBatches.Gather(lengths.Length, groups, group => group.Select(i => new[] { (float)lengths[i], i }).ToArray());
        Assert.Equal(Enumerable.Range(0, lengths.Length).Select(i => (float)i), scores.Select(s => s[1]));
        Assert.Equal(lengths.Select(l => (float)l), scores.Select(s => s[0]));
    }

    [Fact]
    public void AWindowThatFitsInOneBatchKeepsItsOrder()
    {
        Assert.Equal([[0, 1, 2]], ScoringBatches.ByLength([5, 1, 3], batchSize: 4).ToArray());
        Assert.Equal([[0, 1], [2, 3], [4]], ScoringBatches.InOrder(5, batchSize: 2).ToArray());
    }
}
