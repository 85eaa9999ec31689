namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>A checkpoint does not fit the module it is loaded into (missing or unexpected keys, wrong shapes).</summary>
public sealed class WeightLoadException : Exception
{
    /// <summary>Creates the exception with a message that names the source, the keys and what was expected.</summary>
    public WeightLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public WeightLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
