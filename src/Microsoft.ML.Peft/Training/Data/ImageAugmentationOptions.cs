using Microsoft.ML.Peft.Vision;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// How <see cref="ImageDataSet"/> turns images into model inputs. Training rows get torchvision's
/// <c>RandomResizedCrop(S, scale, ratio)</c> and <c>RandomHorizontalFlip(p)</c>; evaluation rows get the
/// deterministic <see cref="Evaluation"/> transform (by default <c>Resize(256)</c>, <c>CenterCrop(224)</c>).
/// Both normalize with the evaluation options' mean and std and output S = <see cref="ImagePreprocessingOptions.CropSize"/>.
/// </summary>
public sealed class ImageAugmentationOptions
{
    /// <summary>The evaluation transform, whose crop size, mean and std the training transform shares. Default ImageNet's.</summary>
    public ImagePreprocessingOptions Evaluation { get; set; } = new();

    /// <summary>Whether training rows are augmented; false gives them the evaluation transform too. Default true.</summary>
    public bool Augment { get; set; } = true;

    /// <summary>The range of the crop's area as a fraction of the image's. Default (0.08, 1), torchvision's.</summary>
    public (double Min, double Max) Scale { get; set; } = (0.08, 1.0);

    /// <summary>The range of the crop's aspect ratio (width / height), sampled log-uniformly. Default (3/4, 4/3).</summary>
    public (double Min, double Max) Ratio { get; set; } = (3.0 / 4.0, 4.0 / 3.0);

    /// <summary>The probability of a horizontal flip. Default 0.5.</summary>
    public double HorizontalFlipProbability { get; set; } = 0.5;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Evaluation, nameof(Evaluation));
        if (!(Scale.Min > 0 && Scale.Min <= Scale.Max && Scale.Max <= 1))
        {
            throw new ArgumentException($"Scale must satisfy 0 < min <= max <= 1, not ({Scale.Min}, {Scale.Max}).", nameof(Scale));
        }

        if (!(Ratio.Min > 0 && Ratio.Min <= Ratio.Max && double.IsFinite(Ratio.Max)))
        {
            throw new ArgumentException($"Ratio must satisfy 0 < min <= max, not ({Ratio.Min}, {Ratio.Max}).", nameof(Ratio));
        }

        if (!(HorizontalFlipProbability >= 0 && HorizontalFlipProbability <= 1))
        {
            throw new ArgumentException($"HorizontalFlipProbability must be in [0, 1], not {HorizontalFlipProbability}.", nameof(HorizontalFlipProbability));
        }
    }

    internal ImageAugmentationOptions Clone() => new()
    {
        Evaluation = Evaluation.Clone(),
        Augment = Augment,
        Scale = Scale,
        Ratio = Ratio,
        HorizontalFlipProbability = HorizontalFlipProbability,
    };
}
