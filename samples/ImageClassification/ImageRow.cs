namespace Microsoft.ML.Peft.Samples.ImageClassification;

/// <summary>An image example: the trainer reads the file at <see cref="ImagePath"/> and the class name in <see cref="Label"/>.</summary>
public sealed class ImageRow : ILabelledRow
{
    /// <summary>The image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <inheritdoc />
    public string Label { get; set; } = "";

    /// <inheritdoc />
    public string Describe() => Path.Combine(Path.GetFileName(Path.GetDirectoryName(ImagePath)) ?? "", Path.GetFileName(ImagePath));
}
