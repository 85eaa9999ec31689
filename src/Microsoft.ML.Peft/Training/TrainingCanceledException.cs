namespace Microsoft.ML.Peft.Training;

/// <summary>Training was canceled through <see cref="TrainingOptions.CancellationToken"/>; it stopped at a step boundary.</summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public TrainingCanceledException(long step, string? checkpoint, CancellationToken token)
        : base($"Training was canceled after optimizer step {step}" + (checkpoint is null ? "." : $"; the state is saved in checkpoint '{checkpoint}'."), token)
    {
        Step = step;
        Checkpoint = checkpoint;
    }

    /// <summary>Optimizer steps taken before stopping.</summary>
    public long Step { get; }

    /// <summary>The checkpoint written at the stop (resume from it with <see cref="TrainingOptions.ResumeFromCheckpoint"/>), or null without a checkpoint folder.</summary>
    public string? Checkpoint { get; }
}
