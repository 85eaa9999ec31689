using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A checkpoint seen without its task head (the keys under a prefix such as <c>classifier.</c>), so a model fine-tuned
/// for other labels can serve as a base model with a fresh head (transformers' <c>ignore_mismatched_sizes</c>).
/// Does not own the source it wraps.
/// </summary>
internal sealed class WithoutHeadTensorSource : ITensorSource
{
    private readonly ITensorSource _source;
    private readonly string _headPrefix;
    private readonly string[] _keys;

    public WithoutHeadTensorSource(ITensorSource source, string headPrefix)
    {
        _source = source;
        _headPrefix = headPrefix;
        _keys = source.Keys.Where(k => !IsHead(k)).ToArray();
    }

    public string Description => $"{_source.Description} (without its '{_headPrefix}' head)";

    public IReadOnlyCollection<string> Keys => _keys;

    public bool Contains(string key) => !IsHead(key) && _source.Contains(key);

    public torch.ScalarType GetDType(string key) => _source.GetDType(Visible(key));

    public long[] GetShape(string key) => _source.GetShape(Visible(key));

    public torch.Tensor Read(string key, torch.ScalarType? dtype = null) => _source.Read(Visible(key), dtype);

    public void Dispose()
    {
    }

    private bool IsHead(string key) => key.StartsWith(_headPrefix, StringComparison.Ordinal);

    private string Visible(string key) => IsHead(key) ? throw new KeyNotFoundException($"Tensor '{key}' is not in {Description}.") : key;
}
