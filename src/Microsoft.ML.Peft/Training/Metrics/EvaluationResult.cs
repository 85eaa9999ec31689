namespace Microsoft.ML.Peft.Training.Metrics;

/// <summary>The metrics of one pass over a validation set.</summary>
public sealed record EvaluationResult
{
    /// <summary>The number of rows evaluated.</summary>
    public required int Rows { get; init; }

    /// <summary>The mean loss per row (cross-entropy for classification, squared error for regression).</summary>
    public required double Loss { get; init; }

    /// <summary>The accuracy, for classification; otherwise null.</summary>
    public double? Accuracy { get; init; }

    /// <summary>The macro-averaged F1, for classification; otherwise null.</summary>
    public double? MacroF1 { get; init; }

    /// <summary>The mean absolute error, for regression; otherwise null.</summary>
    public double? MeanAbsoluteError { get; init; }

    /// <summary>The value of <paramref name="metric"/>.</summary>
    /// <exception cref="InvalidOperationException">The task does not produce that metric (for example accuracy for regression).</exception>
    public double Get(EvaluationMetric metric) => metric switch
    {
        EvaluationMetric.Loss => Loss,
        EvaluationMetric.Accuracy => Accuracy,
        EvaluationMetric.MacroF1 => MacroF1,
        EvaluationMetric.MeanAbsoluteError => MeanAbsoluteError,
        _ => null,
    } ?? throw new InvalidOperationException($"The evaluation has no {metric} (it is not computed for this kind of task).");

    /// <summary>Whether a larger value of <paramref name="metric"/> is better.</summary>
    public static bool HigherIsBetter(EvaluationMetric metric) => metric is EvaluationMetric.Accuracy or EvaluationMetric.MacroF1;
}
