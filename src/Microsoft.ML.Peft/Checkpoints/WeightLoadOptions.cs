namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>How <see cref="ModuleWeights.Load"/> maps checkpoint tensors onto a module's state.</summary>
public sealed class WeightLoadOptions
{
    /// <summary>
    /// Maps a checkpoint key to the module's key (for example legacy <c>LayerNorm.gamma</c> to <c>LayerNorm.weight</c>,
    /// or adding a <c>bert.</c> prefix). Return <c>null</c> to drop the key silently. Defaults to the identity.
    /// </summary>
    public Func<string, string?>? MapKey { get; init; }

    /// <summary>Module keys that may stay unloaded without being reported as missing (for example non-persistent buffers).</summary>
    public Func<string, bool>? MayBeMissing { get; init; }

    /// <summary>When true (the default), missing module keys or unexpected checkpoint keys fail the load.</summary>
    public bool Strict { get; init; } = true;
}
