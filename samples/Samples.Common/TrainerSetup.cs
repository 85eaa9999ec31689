using Microsoft.ML.Peft.Trainers;

namespace Microsoft.ML.Peft.Samples;

/// <summary>Fills in the trainer settings every sample shares, from the common flags.</summary>
public static class TrainerSetup
{
    /// <summary>The learning rate for training a random base fully: from scratch needs far more than fine-tuning's 2e-5.</summary>
    public const double FromScratchLearningRate = 1e-3;

    /// <summary>Sets the method (and whether its adapter is merged), epochs, batch size, learning rate, seed, validation rows, warmup, log and progress of <paramref name="options"/>.</summary>
    public static TOptions Apply<TOptions>(TOptions options, SampleSettings settings, int batchSize)
        where TOptions : PeftTrainerOptions
    {
        FineTuningChoice method = settings.FineTuning;
        options.Peft = method.Config;
        options.Epochs = settings.Epochs;
        options.BatchSize = batchSize;
        options.LearningRate = settings.LearningRate ?? (settings.RandomBase && method.Config is null ? FromScratchLearningRate : null);
        options.Seed = settings.Seed;

        // A tenth of the training rows (never the test rows) scores each epoch and picks the epoch whose weights are kept.
        options.ValidationFraction = 0.1;
        options.Log = settings.Verbose ? Console.WriteLine : null;
        options.Progress = settings.Verbose ? null : new EpochProgress();

        // A new head (and, from scratch, every weight) starts far from a good solution: a short warmup keeps AdamW's
        // first, poorly estimated steps from throwing the model off.
        options.ConfigureTraining = training => training.WarmupRatio = 0.1;
        return options;
    }
}
