namespace Microsoft.ML.Peft.Training.Metrics;

/// <summary>A validation metric that early stopping and best-weight selection can watch.</summary>
public enum EvaluationMetric
{
    /// <summary>The mean validation loss (lower is better).</summary>
    Loss,

    /// <summary>Classification accuracy (higher is better).</summary>
    Accuracy,

    /// <summary>Classification macro-averaged F1 (higher is better).</summary>
    MacroF1,

    /// <summary>Regression mean absolute error (lower is better).</summary>
    MeanAbsoluteError,
}
