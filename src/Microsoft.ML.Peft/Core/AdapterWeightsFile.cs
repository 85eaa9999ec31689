using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>
/// The store behind <see cref="PeftModel.SavePretrained(string, IEnumerable{string})"/> and
/// <see cref="PeftModel.FromPretrained{TModel}(TModel, string, string, bool)"/>: safetensors files through
/// <c>Microsoft.ML.Peft.Checkpoints.SafeTensors</c>.
/// </summary>
/// <remarks>
/// The safetensors reader and writer are built on another branch; until they are merged, define
/// <c>PEFT_SAFETENSORS</c> is off and the default store says so. After the merge, define it (or delete the
/// <c>#if</c>) and the public save/load methods work.
/// </remarks>
internal sealed class AdapterWeightsFile : IAdapterWeightsStore
{
    /// <summary>The store the public save and load methods use.</summary>
    public static IAdapterWeightsStore Default { get; } = new AdapterWeightsFile();

#if PEFT_SAFETENSORS
    /// <inheritdoc />
    public void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata) =>
        SafeTensors.Save(path, tensors, metadata);

    /// <inheritdoc />
    public ITensorSource Open(string path) => SafeTensors.Open(path);
#else
    /// <inheritdoc />
    public void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata) =>
        throw Unavailable();

    /// <inheritdoc />
    public ITensorSource Open(string path) => throw Unavailable();

    private static NotSupportedException Unavailable() =>
        new("Reading and writing adapter_model.safetensors needs the safetensors support (build with PEFT_SAFETENSORS).");
#endif
}
