namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// A safetensors file (or a sharded checkpoint's index) breaks a rule of the format. The message names the file,
/// the rule (<see cref="Violation"/>) and what was found.
/// </summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>, breaking <paramref name="violation"/> as <paramref name="detail"/> describes.</summary>
    public SafeTensorsFormatException(string filePath, SafeTensorsViolation violation, string detail)
        : this(filePath, violation, detail, innerException: null)
    {
    }

    /// <summary>Creates the exception with the lower-level error that revealed the problem.</summary>
    public SafeTensorsFormatException(string filePath, SafeTensorsViolation violation, string detail, Exception? innerException)
        : base(FormatMessage(filePath, violation, detail), innerException)
    {
        FilePath = filePath;
        Violation = violation;
        Detail = detail;
    }

    /// <summary>The file that breaks the rule.</summary>
    public string FilePath { get; }

    /// <summary>The rule that the file breaks.</summary>
    public SafeTensorsViolation Violation { get; }

    /// <summary>What was found, without the file name and rule.</summary>
    public string Detail { get; }

    private static string FormatMessage(string filePath, SafeTensorsViolation violation, string detail)
    {
        string what = violation is SafeTensorsViolation.InvalidIndex or SafeTensorsViolation.IndexShardMismatch
            ? "sharded safetensors checkpoint"
            : "safetensors file";
        return $"Invalid {what} '{filePath}' (rule {violation}): {detail}";
    }
}
