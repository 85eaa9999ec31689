namespace Microsoft.ML.Peft.Training.Checkpointing;

/// <summary>
/// Finds the checkpoints <see cref="TrainingLoop"/> writes. Each is a folder <c>checkpoint-{step:D8}</c> holding
/// <see cref="WeightsFileName"/> (the trainable weights, safetensors, keyed by <c>named_parameters()</c> names),
/// <see cref="OptimizerFileName"/> (AdamW moments and steps), optionally <see cref="BestWeightsFileName"/> (the
/// trainable weights of the best epoch so far), and <c>trainer_state.json</c> (data position, schedule step, history,
/// random state).
/// </summary>
public static class TrainingCheckpoints
{
    /// <summary>The trainable weights of a checkpoint.</summary>
    public const string WeightsFileName = "trainable.safetensors";

    /// <summary>The optimizer state of a checkpoint.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>The best epoch's trainable weights, when validation ran.</summary>
    public const string BestWeightsFileName = "best.safetensors";

    /// <summary>The complete checkpoint folders under <paramref name="folder"/>, oldest first.</summary>
    public static IReadOnlyList<string> List(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return CheckpointFolder.List(folder).Select(c => c.Path).ToList();
    }

    /// <summary>The newest complete checkpoint folder under <paramref name="folder"/>, or null when there is none.</summary>
    public static string? Latest(string folder) => List(folder).LastOrDefault();
}
