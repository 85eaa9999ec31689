namespace Microsoft.ML.Peft.Text;

/// <summary>A tokenizer file (vocab.txt, vocab.json, merges.txt, tokenizer.json, tokenizer_config.json) is missing or malformed.</summary>
public sealed class TokenizerFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/> with a message that says what was wrong and what was expected.</summary>
    public TokenizerFileException(string filePath, string message)
        : base($"Tokenizer file '{filePath}': {message}")
    {
        FilePath = filePath;
    }

    /// <summary>Creates the exception with an inner cause (for example a JSON syntax error).</summary>
    public TokenizerFileException(string filePath, string message, Exception innerException)
        : base($"Tokenizer file '{filePath}': {message}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file (or stream description) at fault.</summary>
    public string FilePath { get; }
}
