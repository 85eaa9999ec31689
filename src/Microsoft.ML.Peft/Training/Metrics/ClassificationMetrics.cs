namespace Microsoft.ML.Peft.Training.Metrics;

/// <summary>Accuracy and macro-averaged F1 of predicted class indices against the true ones.</summary>
public static class ClassificationMetrics
{
    /// <summary>The fraction of rows whose prediction equals the label (0 for no rows).</summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static double Accuracy(IReadOnlyList<int> predicted, IReadOnlyList<int> actual)
    {
        CheckLengths(predicted, actual);
        if (actual.Count == 0)
        {
            return 0;
        }

        int correct = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            correct += predicted[i] == actual[i] ? 1 : 0;
        }

        return (double)correct / actual.Count;
    }

    /// <summary>
    /// The unweighted mean of the per-class F1 scores over every class that occurs among the labels or the predictions,
    /// as scikit-learn's <c>f1_score(average="macro")</c>; a class with no true or predicted positives scores 0.
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static double MacroF1(IReadOnlyList<int> predicted, IReadOnlyList<int> actual)
    {
        CheckLengths(predicted, actual);
        var counts = new SortedDictionary<int, (int TruePositive, int FalsePositive, int FalseNegative)>();
        for (int i = 0; i < actual.Count; i++)
        {
            int p = predicted[i];
            int a = actual[i];
            counts.TryAdd(p, default);
            counts.TryAdd(a, default);
            if (p == a)
            {
                counts[a] = counts[a] with { TruePositive = counts[a].TruePositive + 1 };
            }
            else
            {
                counts[p] = counts[p] with { FalsePositive = counts[p].FalsePositive + 1 };
                counts[a] = counts[a] with { FalseNegative = counts[a].FalseNegative + 1 };
            }
        }

        if (counts.Count == 0)
        {
            return 0;
        }

        double sum = 0;
        foreach ((int tp, int fp, int fn) in counts.Values)
        {
            int denominator = (2 * tp) + fp + fn;
            sum += denominator == 0 ? 0 : 2.0 * tp / denominator;
        }

        return sum / counts.Count;
    }

    private static void CheckLengths(IReadOnlyList<int> predicted, IReadOnlyList<int> actual)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(actual);
        if (predicted.Count != actual.Count)
        {
            throw new ArgumentException($"There are {predicted.Count} predictions for {actual.Count} labels.", nameof(predicted));
        }
    }
}
