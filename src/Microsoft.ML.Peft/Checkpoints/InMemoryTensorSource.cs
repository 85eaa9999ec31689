using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>An <see cref="ITensorSource"/> over tensors already in memory (for example a module's state dict).</summary>
public sealed class InMemoryTensorSource : ITensorSource
{
    private readonly Dictionary<string, torch.Tensor> _tensors;

    /// <summary>Wraps <paramref name="tensors"/>; the source does not take ownership of them.</summary>
    public InMemoryTensorSource(IReadOnlyDictionary<string, torch.Tensor> tensors, string description = "in-memory tensors")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = new Dictionary<string, torch.Tensor>(tensors, StringComparer.Ordinal);
        Description = description;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Keys => _tensors.Keys;

    /// <inheritdoc />
    public bool Contains(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc />
    public torch.ScalarType GetDType(string key) => Get(key).dtype;

    /// <inheritdoc />
    public long[] GetShape(string key) => Get(key).shape;

    /// <inheritdoc />
    public torch.Tensor Read(string key, torch.ScalarType? dtype = null)
    {
        torch.Tensor tensor = Get(key);
        return tensor.detach().to(dtype ?? tensor.dtype, torch.CPU, copy: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private torch.Tensor Get(string key) =>
        _tensors.TryGetValue(key, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"Tensor '{key}' is not in {Description}.");
}
