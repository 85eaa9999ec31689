using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Peft.Training.Checkpointing;

/// <summary>
/// Everything about a run a checkpoint needs besides tensors (<c>trainer_state.json</c>): the data position, the
/// optimizer step (which is also the schedule's state), the settings that must not change on resume, the running
/// epoch loss, the history and early-stopping state, and torch's CPU generator state.
/// </summary>
/// <remarks>
/// Format 2 adds <see cref="Buffers"/> (and the checkpoint's <see cref="TrainingCheckpoints.BuffersFileName"/>).
/// Format 1 checkpoints, written before buffers were saved, still resume: their buffers are left as the model has them.
/// </remarks>
internal sealed class TrainerState
{
    public const string FileName = "trainer_state.json";
    public const int CurrentFormat = 2;

    /// <summary>The oldest format this version still reads.</summary>
    public const int OldestReadableFormat = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public int Format { get; set; } = CurrentFormat;

    /// <summary>Optimizer steps taken; the schedule continues from here.</summary>
    public long GlobalStep { get; set; }

    /// <summary>The 0-based epoch to continue in.</summary>
    public int Epoch { get; set; }

    /// <summary>The next micro-batch of that epoch's plan (0 at an epoch boundary).</summary>
    public int NextBatch { get; set; }

    public long Seed { get; set; }

    public int TrainRows { get; set; }

    /// <summary>The training data's <see cref="Data.ITrainingData{TBatch}.ContentFingerprint"/>; null when it had none (or the checkpoint is older).</summary>
    public string? DataFingerprint { get; set; }

    public int BatchSize { get; set; }

    public int GradientAccumulationSteps { get; set; }

    public long TotalSteps { get; set; }

    /// <summary>Sum of row losses and rows so far in the current epoch, for its mean training loss.</summary>
    public double EpochLossSum { get; set; }

    public long EpochRows { get; set; }

    public List<EpochResult> History { get; set; } = [];

    public double? BestMetric { get; set; }

    public int? BestEpoch { get; set; }

    public int EpochsWithoutImprovement { get; set; }

    public bool Stopped { get; set; }

    public double ElapsedSeconds { get; set; }

    /// <summary>torch's default CPU generator state, base64.</summary>
    public string? TorchRngState { get; set; }

    public List<string> TrainableParameters { get; set; } = [];

    /// <summary>The <see cref="Data.EpochPlan"/> rule the run's epochs follow; null in checkpoints written before it was recorded (rule 1).</summary>
    public int? EpochPlanRule { get; set; }

    /// <summary>The names of the model's persistent buffers saved with the checkpoint; null in format 1, which saved none.</summary>
    public List<string>? Buffers { get; set; }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        JsonSerializer.Serialize(stream, this, Json);
        stream.Flush(flushToDisk: true);
    }

    public static TrainerState Read(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            TrainerState state = JsonSerializer.Deserialize<TrainerState>(stream, Json)
                ?? throw new InvalidDataException($"{path} is empty.");
            if (state.Format is < OldestReadableFormat or > CurrentFormat)
            {
                throw new InvalidDataException($"{path} has format {state.Format}; this version reads formats {OldestReadableFormat} to {CurrentFormat}.");
            }

            return state;
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path} is not a valid trainer state: {exception.Message}", exception);
        }
    }
}
