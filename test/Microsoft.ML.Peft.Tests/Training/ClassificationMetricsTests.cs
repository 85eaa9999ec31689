using Microsoft.ML.Peft.Training.Metrics;

namespace Microsoft.ML.Peft.Tests.Training;

public class ClassificationMetricsTests
{
    [Fact]
    public void AccuracyCountsExactMatches()
    {
        Assert.Equal(1.0 / 3, ClassificationMetrics.Accuracy([0, 2, 1, 0, 0, 1], [0, 1, 2, 0, 1, 2]), 12);
        Assert.Equal(0.0, ClassificationMetrics.Accuracy([], []));
    }

    [Fact]
    public void MacroF1MatchesScikitLearnsExample()
    {
        // scikit-learn's f1_score documentation: y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1] → macro 0.2666...
        Assert.Equal(0.26666666666666666, ClassificationMetrics.MacroF1([0, 2, 1, 0, 0, 1], [0, 1, 2, 0, 1, 2]), 12);
    }

    [Fact]
    public void MacroF1AveragesOverClassesSeenInLabelsOrPredictions()
    {
        // Class 0: TP 2, FN 1 → F1 0.8; class 1: TP 1, FP 1, FN 1 → 0.5; class 3, only ever predicted: TP 0, FP 1 → 0.
        Assert.Equal((0.8 + 0.5 + 0.0) / 3, ClassificationMetrics.MacroF1([0, 0, 1, 1, 3], [0, 0, 0, 1, 1]), 12);
    }

    [Fact]
    public void PerfectPredictionsScoreOne()
    {
        Assert.Equal(1.0, ClassificationMetrics.MacroF1([0, 1, 2, 1], [0, 1, 2, 1]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.MacroF1([0], [0, 1]));
    }
}
