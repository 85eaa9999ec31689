namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>What <see cref="ModuleWeights.Load"/> did: which keys were loaded, missing or unexpected.</summary>
public sealed class WeightLoadResult
{
    internal WeightLoadResult(IReadOnlyList<string> loaded, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected)
    {
        LoadedKeys = loaded;
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
    }

    /// <summary>Module keys that received a tensor from the checkpoint.</summary>
    public IReadOnlyList<string> LoadedKeys { get; }

    /// <summary>Module keys that the checkpoint did not provide (they keep their initial values).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys (after mapping) that the module has no place for.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{LoadedKeys.Count} loaded; missing: [{string.Join(", ", MissingKeys)}]; unexpected: [{string.Join(", ", UnexpectedKeys)}]";
}
