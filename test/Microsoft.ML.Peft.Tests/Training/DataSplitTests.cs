using Microsoft.ML.Peft.Training.Data;

namespace Microsoft.ML.Peft.Tests.Training;

public class DataSplitTests
{
    [Fact]
    public void SplitIsDeterministicDisjointAndComplete()
    {
        (int[] train, int[] validation) = DataSplit.Split(100, 0.2, seed: 5);
        (int[] train2, int[] validation2) = DataSplit.Split(100, 0.2, seed: 5);
        Assert.Equal(train, train2);
        Assert.Equal(validation, validation2);
        Assert.Equal(20, validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 100), train.Concat(validation).Order());
        Assert.Equal(validation.Order(), validation);
    }

    [Fact]
    public void DifferentSeedsHoldOutDifferentRows()
    {
        Assert.NotEqual(DataSplit.Split(100, 0.2, seed: 5).Validation, DataSplit.Split(100, 0.2, seed: 6).Validation);
        Assert.NotEqual(Enumerable.Range(0, 20), DataSplit.Split(100, 0.2, seed: 5).Validation);
    }

    [Fact]
    public void TinyFractionsStillHoldOutOneRowAndNeverAll()
    {
        Assert.Single(DataSplit.Split(10, 0.01, 1).Validation);
        Assert.Single(DataSplit.Split(2, 0.9, 1).Train);
        Assert.Empty(DataSplit.Split(10, 0, 1).Validation);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.Split(10, 1.0, 1));
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public void ASingleRowStaysInTraining(double fraction)
    {
        (int[] train, int[] validation) = DataSplit.Split(1, fraction, seed: 42);
        Assert.Equal([0], train);
        Assert.Empty(validation);
    }

    [Theory]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(10, 0.24, 2)]
    [InlineData(3, 0.5, 2)] // 1.5 rounds to 2
    [InlineData(3, 0.9, 2)] // 2.7 rounds to 3, but training keeps a row
    [InlineData(0, 0.5, 0)]
    public void TheHeldOutCountIsRoundedHalfAwayFromZeroAndLeavesATrainingRow(int count, double fraction, int expected)
    {
        (int[] train, int[] validation) = DataSplit.Split(count, fraction, seed: 42);
        Assert.Equal(expected, validation.Length);
        Assert.Equal(count - expected, train.Length);
    }
}
