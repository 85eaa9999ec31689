namespace Microsoft.ML.Peft.Hub;

/// <summary>How much of a model a cached snapshot holds.</summary>
internal enum ModelSnapshotState
{
    /// <summary>The config or the weights (or a shard) are missing.</summary>
    Unusable,

    /// <summary>The config and all weights are there; some optional file was never looked up.</summary>
    Usable,

    /// <summary>Usable, and every optional file is either there or recorded as absent on the Hub.</summary>
    Complete,
}
