namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>Opens checkpoint weights from the places users keep them.</summary>
public static class CheckpointFiles
{
    /// <summary>
    /// Opens the weights at <paramref name="path"/>: a single <c>.safetensors</c> file, or a Hugging Face folder holding
    /// <c>model.safetensors</c> or a sharded <c>model.safetensors.index.json</c>. Tensors are read lazily.
    /// </summary>
    public static ITensorSource Open(string path) =>
        throw new NotImplementedException("Implemented by the safetensors work (issue 2).");
}
