namespace Microsoft.ML.Peft.Vision;

/// <summary>
/// How <see cref="ImagePreprocessor"/> turns an image into a model input; the defaults are torchvision's ImageNet
/// evaluation transform: <c>Resize(256)</c>, <c>CenterCrop(224)</c>, <c>ToTensor()</c>,
/// <c>Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])</c>.
/// </summary>
public sealed class ImagePreprocessingOptions
{
    /// <summary>
    /// Resize so that the shorter side has this many pixels, keeping the aspect ratio (the longer side is
    /// <c>floor(size * long / short)</c>, as torchvision). Null leaves the size alone. Default 256.
    /// </summary>
    public int? ResizeShorterSide { get; set; } = 256;

    /// <summary>The side of the square cut from the centre; the output is <c>[3, CropSize, CropSize]</c>. Default 224.</summary>
    public int CropSize { get; set; } = 224;

    /// <summary>The per-channel (R, G, B) mean subtracted after scaling to [0, 1]. Default ImageNet's (0.485, 0.456, 0.406).</summary>
    public IReadOnlyList<float> Mean { get; set; } = [0.485f, 0.456f, 0.406f];

    /// <summary>The per-channel (R, G, B) standard deviation divided by. Default ImageNet's (0.229, 0.224, 0.225).</summary>
    public IReadOnlyList<float> Std { get; set; } = [0.229f, 0.224f, 0.225f];

    internal ImagePreprocessingOptions Clone() => new()
    {
        ResizeShorterSide = ResizeShorterSide,
        CropSize = CropSize,
        Mean = Mean.ToArray(),
        Std = Std.ToArray(),
    };
}
