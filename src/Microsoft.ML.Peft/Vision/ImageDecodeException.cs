namespace Microsoft.ML.Peft.Vision;

/// <summary>An image could not be decoded: the bytes are not a supported image format, or they are truncated or corrupt.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception for the image named <paramref name="sourceName"/> (a path or a description).</summary>
    public ImageDecodeException(string sourceName, string problem)
        : base($"Cannot decode image '{sourceName}': {problem}")
    {
        SourceName = sourceName;
    }

    /// <summary>The file path or description of the image that failed.</summary>
    public string SourceName { get; }
}
