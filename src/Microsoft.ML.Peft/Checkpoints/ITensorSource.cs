using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// A named collection of tensors that can be read one at a time: a safetensors file, a sharded
/// Hugging Face checkpoint, or tensors already in memory. Reading is lazy so a large checkpoint
/// never has to be resident all at once.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>A human-readable description of where the tensors come from (a file or folder path), used in error messages.</summary>
    string Description { get; }

    /// <summary>The names of every tensor in the source.</summary>
    IReadOnlyCollection<string> Keys { get; }

    /// <summary>Whether the source holds a tensor of this name.</summary>
    bool Contains(string key);

    /// <summary>The element type of the stored tensor.</summary>
    torch.ScalarType GetDType(string key);

    /// <summary>The shape of the stored tensor.</summary>
    long[] GetShape(string key);

    /// <summary>
    /// Reads one tensor into a new CPU tensor the caller owns, converted to <paramref name="dtype"/> when given.
    /// </summary>
    torch.Tensor Read(string key, torch.ScalarType? dtype = null);
}
