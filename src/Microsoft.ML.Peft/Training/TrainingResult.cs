namespace Microsoft.ML.Peft.Training;

/// <summary>The outcome of <see cref="TrainingLoop.Fit"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>Each finished epoch, in order (including those run before a resume).</summary>
    public required IReadOnlyList<EpochResult> Epochs { get; init; }

    /// <summary>The 1-based epoch with the best selection metric, when there was validation data.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>The best value of the selection metric, when there was validation data.</summary>
    public double? BestMetric { get; init; }

    /// <summary>Whether the best epoch's trainable weights were restored into the model at the end.</summary>
    public bool RestoredBestWeights { get; init; }

    /// <summary>Why training ended.</summary>
    public required StopReason StopReason { get; init; }

    /// <summary>Optimizer steps taken in all.</summary>
    public required long Steps { get; init; }

    /// <summary>The optimizer step the run resumed from, when it resumed.</summary>
    public long? ResumedFromStep { get; init; }

    /// <summary>Training time in all, across resumes.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Training rows processed per second by this call (evaluation and checkpoint time included).</summary>
    public required double SamplesPerSecond { get; init; }

    /// <summary>The device trained on, such as <c>cpu</c> or <c>cuda:0</c>.</summary>
    public required string Device { get; init; }

    /// <summary>The number of trainable scalars.</summary>
    public required long TrainableParameterCount { get; init; }

    /// <summary>The number of scalars in the trained network, frozen and adapter ones included (the denominator of PEFT's trainable %).</summary>
    public long TotalParameterCount { get; init; }

    /// <summary>Trainable scalars as a percentage of <see cref="TotalParameterCount"/>.</summary>
    public double TrainablePercent => 100.0 * TrainableParameterCount / Math.Max(1, TotalParameterCount);

    /// <summary>The newest checkpoint folder written, when checkpointing.</summary>
    public string? LastCheckpoint { get; init; }
}
