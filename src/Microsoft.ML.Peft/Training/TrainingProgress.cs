namespace Microsoft.ML.Peft.Training;

/// <summary>A progress report, sent after each optimizer step.</summary>
public sealed record TrainingProgress
{
    /// <summary>The current epoch, 1-based.</summary>
    public required int Epoch { get; init; }

    /// <summary>The number of epochs planned.</summary>
    public required int Epochs { get; init; }

    /// <summary>Optimizer steps taken so far (including those before a resume).</summary>
    public required long Step { get; init; }

    /// <summary>Optimizer steps planned in all.</summary>
    public required long TotalSteps { get; init; }

    /// <summary>The mean training loss of the rows of this step.</summary>
    public required double Loss { get; init; }

    /// <summary>The learning rate this step used.</summary>
    public required double LearningRate { get; init; }

    /// <summary>The global gradient norm before clipping, when clipping is on; otherwise null.</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Training rows processed per second since this Fit call started.</summary>
    public required double SamplesPerSecond { get; init; }

    /// <summary>Time since this Fit call started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The estimated time to the last planned step (evaluation not included).</summary>
    public required TimeSpan EstimatedRemaining { get; init; }
}
