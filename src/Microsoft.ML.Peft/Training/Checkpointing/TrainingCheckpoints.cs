namespace Microsoft.ML.Peft.Training.Checkpointing;

/// <summary>
/// Finds the checkpoints <see cref="TrainingLoop"/> writes. Each is a folder <c>checkpoint-{step:D8}</c> holding
/// <see cref="WeightsFileName"/> (the trainable weights, safetensors, keyed by <c>named_parameters()</c> names),
/// <see cref="BuffersFileName"/> when the model has buffers (all its persistent buffers, such as BatchNorm running
/// statistics, keyed by <c>named_buffers()</c> names), <see cref="OptimizerFileName"/> (AdamW moments and steps),
/// optionally <see cref="BestWeightsFileName"/> (the trainable weights and buffers of the best epoch so far), and
/// <c>trainer_state.json</c> (data position, schedule step, history, random state).
/// </summary>
/// <remarks>
/// Frozen parameters are not saved: they do not change while training, so a checkpoint stays as small as the trainable
/// part plus the buffers. Buffers are saved because they do change, frozen layers included: a BatchNorm layer in
/// training mode updates its running statistics whether or not its parameters train.
/// </remarks>
public static class TrainingCheckpoints
{
    /// <summary>The trainable weights of a checkpoint.</summary>
    public const string WeightsFileName = "trainable.safetensors";

    /// <summary>The model's persistent buffers (BatchNorm running statistics and the like) of a checkpoint; absent when the model has none.</summary>
    public const string BuffersFileName = "buffers.safetensors";

    /// <summary>The optimizer state of a checkpoint.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>The best epoch's trainable weights and buffers, when validation ran.</summary>
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
