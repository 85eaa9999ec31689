using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>Writes and opens <c>adapter_model.safetensors</c>; a seam so the PEFT file logic does not depend on the safetensors code directly.</summary>
internal interface IAdapterWeightsStore
{
    /// <summary>Writes the tensors (and the metadata of the safetensors header) to <paramref name="path"/>.</summary>
    void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata);

    /// <summary>Opens the tensors at <paramref name="path"/> for lazy reading.</summary>
    ITensorSource Open(string path);
}
