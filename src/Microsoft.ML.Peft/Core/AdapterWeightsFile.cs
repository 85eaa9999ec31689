using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>
/// The store behind <see cref="PeftModel.SavePretrained(string, IEnumerable{string})"/> and
/// <see cref="PeftModel.FromPretrained{TModel}(TModel, string, string, bool)"/>: safetensors files through
/// <c>Microsoft.ML.Peft.Checkpoints.SafeTensors</c>.
/// </summary>
internal sealed class AdapterWeightsFile : IAdapterWeightsStore
{
    /// <summary>The store the public save and load methods use.</summary>
    public static IAdapterWeightsStore Default { get; } = new AdapterWeightsFile();

    /// <inheritdoc />
    public void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata) =>
        SafeTensors.Save(path, tensors, metadata);

    /// <inheritdoc />
    public ITensorSource Open(string path) => SafeTensors.Open(path);
}
