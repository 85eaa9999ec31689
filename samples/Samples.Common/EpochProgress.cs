using Microsoft.ML.Peft.Training;

namespace Microsoft.ML.Peft.Samples;

/// <summary>Prints about a dozen progress lines over the run, so a quiet run still shows it is moving and how long is left.</summary>
internal sealed class EpochProgress : IProgress<TrainingProgress>
{
    // The trainer reports on its training thread, after each optimizer step, so no locking is needed.
    public void Report(TrainingProgress value)
    {
        long every = Math.Max(1, value.TotalSteps / 12);
        if (value.Step % every == 0 || value.Step == value.TotalSteps)
        {
            Console.WriteLine(
                $"  epoch {value.Epoch}/{value.Epochs}  step {value.Step,5}/{value.TotalSteps}  loss {value.Loss,7:F4}  " +
                $"{value.Elapsed.TotalSeconds,5:F0} s, about {value.EstimatedRemaining.TotalSeconds:F0} s of training left");
        }
    }
}
