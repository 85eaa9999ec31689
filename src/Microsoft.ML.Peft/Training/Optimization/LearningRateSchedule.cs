namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>
/// A learning rate per optimizer step: a linear warmup from 0 to the peak over <see cref="WarmupSteps"/> steps, then
/// linear, cosine or no decay, with Hugging Face's formulas. Step t (0-based) of the optimizer uses
/// <c>peak · Multiplier(t)</c>, as a <c>LambdaLR</c> stepped after each optimizer step does, so with warmup the very
/// first update has rate 0 exactly like transformers' Trainer.
/// </summary>
/// <remarks>The schedule is a pure function of the step number, so a checkpoint only needs to record the step.</remarks>
public sealed class LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The peak is not positive and finite, the total is not positive, or warmup is negative.</exception>
    public LearningRateSchedule(LearningRateScheduleKind kind, double peakLearningRate, long warmupSteps, long totalSteps)
    {
        if (!(peakLearningRate > 0) || double.IsInfinity(peakLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "The learning rate must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule kind.");
        }

        Kind = kind;
        PeakLearningRate = peakLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>The decay after warmup.</summary>
    public LearningRateScheduleKind Kind { get; }

    /// <summary>The rate reached at the end of warmup.</summary>
    public double PeakLearningRate { get; }

    /// <summary>The number of warmup steps.</summary>
    public long WarmupSteps { get; }

    /// <summary>The number of optimizer steps of the whole training.</summary>
    public long TotalSteps { get; }

    /// <summary>
    /// The warmup length for a warmup ratio, rounded up as transformers' <c>TrainingArguments.get_warmup_steps</c> does:
    /// <c>ceil(totalSteps · ratio)</c>.
    /// </summary>
    public static long WarmupStepsFor(long totalSteps, double warmupRatio)
    {
        if (!(warmupRatio >= 0 && warmupRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(warmupRatio), warmupRatio, "The warmup ratio must be in [0, 1].");
        }

        return (long)Math.Ceiling(totalSteps * warmupRatio);
    }

    /// <summary>The factor applied to the peak rate at optimizer step <paramref name="step"/> (0-based).</summary>
    public double Multiplier(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return (double)step / Math.Max(1, WarmupSteps);
        }

        double decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            LearningRateScheduleKind.Linear => Math.Max(0.0, (TotalSteps - step) / decaySteps),
            LearningRateScheduleKind.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (step - WarmupSteps) / decaySteps))),
            _ => 1.0,
        };
    }

    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based).</summary>
    public double LearningRateAt(long step) => PeakLearningRate * Multiplier(step);
}
