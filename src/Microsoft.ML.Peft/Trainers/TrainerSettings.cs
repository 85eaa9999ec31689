using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>Turns a trainer's options (and the <see cref="MLContext"/>'s seed, GPU and log) into the engine's <see cref="TrainingOptions"/>.</summary>
internal static class TrainerSettings
{
    /// <summary>The start of the name of each training data's checkpoint sub-folder.</summary>
    public const string CheckpointSubfolderPrefix = "data-";

    /// <summary>The seed of a run: the options', else the context's, else 42.</summary>
    public static int Seed(IHostEnvironment environment, PeftTrainerOptions options) =>
        options.Seed ?? EnvironmentSettings.Seed(environment) ?? 42;

    public static TrainingOptions Create(IHostEnvironment environment, PeftTrainerOptions options, int seed, string trainerName)
    {
        var training = new TrainingOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            Method = FineTuningMethods.For(options.Peft),
            ValidationFraction = options.ValidationSet is null ? options.ValidationFraction : 0,
            SelectionMetric = options.SelectionMetric,
            EarlyStoppingPatience = options.EarlyStoppingPatience,
            Seed = seed,
            Precision = options.Precision,
            GpuDeviceId = options.GpuDeviceId ?? EnvironmentSettings.GpuDeviceId(environment),
            FallbackToCpu = options.FallbackToCpu ?? EnvironmentSettings.FallbackToCpu(environment),
            Threads = options.Threads,
            CheckpointFolder = options.CheckpointFolder,
            ResumeFromCheckpoint = options.ResumeFromCheckpoint,
            Progress = options.Progress,
            Log = options.Log ?? EnvironmentSettings.Logger(environment, trainerName),
            CancellationToken = options.CancellationToken,
        };
        options.ConfigureTraining?.Invoke(training);
        return training;
    }

    /// <summary>
    /// Points the run's checkpoints at the sub-folder of <see cref="PeftTrainerOptions.CheckpointFolder"/> that belongs to
    /// its training data, <c>data-{first 16 hex digits of the content fingerprint}</c>: cross-validation folds (or
    /// several data files) then keep separate checkpoints in one folder, and a Fit with ResumeFromCheckpoint resumes the
    /// run of the same data. Data without a fingerprint, or a folder that ConfigureTraining replaced, is used as it is.
    /// </summary>
    public static void UseCheckpointFolderOf(TrainingOptions training, PeftTrainerOptions options, string? trainingDataFingerprint)
    {
        if (options.CheckpointFolder is { } root && training.CheckpointFolder == root && trainingDataFingerprint is { Length: >= 16 })
        {
            training.CheckpointFolder = Path.Combine(root, CheckpointSubfolderPrefix + trainingDataFingerprint[..16]);
        }
    }
}
