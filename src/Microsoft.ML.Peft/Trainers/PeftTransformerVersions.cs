namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The format versions the PEFT transformers write and read (all four share one history, since they share
/// <see cref="InferenceModel"/>). Test/StoredModels keeps a model of every version.
/// </summary>
internal static class PeftTransformerVersions
{
    /// <summary>0x00010001: the first format, the network's weights always embedded.</summary>
    public const uint First = 0x00010001;

    /// <summary>0x00010002: adds <see cref="BaseModelStorage"/> (weights embedded, or the base model referenced with its SHA-256).</summary>
    public const uint BaseModelStorageAdded = 0x00010002;

    /// <summary>What this code writes; a reader older than this cannot read it.</summary>
    public const uint Current = BaseModelStorageAdded;

    /// <summary>The oldest format this code reads.</summary>
    public const uint OldestReadable = First;
}
