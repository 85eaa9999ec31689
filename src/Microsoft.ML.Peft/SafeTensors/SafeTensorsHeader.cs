namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>A parsed and validated safetensors header.</summary>
internal sealed class SafeTensorsHeader
{
    public SafeTensorsHeader(IEnumerable<KeyValuePair<string, string>> metadata, IReadOnlyList<SafeTensorInfo> tensorsInFileOrder)
    {
        Metadata = new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(metadata.ToDictionary(StringComparer.Ordinal));
        Tensors = tensorsInFileOrder.ToList().AsReadOnly();
        ByName = tensorsInFileOrder.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The <c>__metadata__</c> entries (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, ordered by where its bytes lie in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, SafeTensorInfo> ByName { get; }
}
