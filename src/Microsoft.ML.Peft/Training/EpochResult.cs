using Microsoft.ML.Peft.Training.Metrics;

namespace Microsoft.ML.Peft.Training;

/// <summary>The outcome of one epoch.</summary>
public sealed record EpochResult
{
    /// <summary>The epoch, 1-based.</summary>
    public required int Epoch { get; init; }

    /// <summary>The mean training loss over the epoch's rows (with dropout, as trained).</summary>
    public required double TrainingLoss { get; init; }

    /// <summary>The validation metrics, when there is validation data.</summary>
    public EvaluationResult? Validation { get; init; }

    /// <summary>The learning rate of the epoch's last step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Optimizer steps taken by the end of the epoch.</summary>
    public required long Steps { get; init; }

    /// <summary>Training time by the end of the epoch, across resumes.</summary>
    public required TimeSpan Elapsed { get; init; }
}
