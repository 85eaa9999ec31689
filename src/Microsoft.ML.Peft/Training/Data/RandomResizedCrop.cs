using Microsoft.ML.Peft.Vision;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// torchvision's <c>RandomResizedCrop</c> and <c>RandomHorizontalFlip</c> on decoded RGB images, then
/// <c>ToTensor()</c> and <c>Normalize(mean, std)</c> into CHW floats. The crop is chosen as torchvision's
/// <c>get_params</c> does: up to ten tries of an area fraction uniform in <c>scale</c> and an aspect ratio
/// log-uniform in <c>ratio</c>, rounding half to even like Python; failing that, a centre crop clamped to the ratio
/// range. The crop is resized with the PIL-compatible antialiased bilinear filter of <see cref="ImagePreprocessor"/>.
/// </summary>
internal static class RandomResizedCrop
{
    public static CropBox SampleBox(int height, int width, (double Min, double Max) scale, (double Min, double Max) ratio, SeededRandom random)
    {
        double area = (double)height * width;
        double logMin = Math.Log(ratio.Min);
        double logMax = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * random.NextDouble(scale.Min, scale.Max);
            double aspect = Math.Exp(random.NextDouble(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = random.NextInt(height - h + 1);
                int left = random.NextInt(width - w + 1);
                return new CropBox(top, left, h, w);
            }
        }

        double inputRatio = (double)width / height;
        (int cropWidth, int cropHeight) = inputRatio < ratio.Min
            ? (width, (int)Math.Round(width / ratio.Min, MidpointRounding.ToEven))
            : inputRatio > ratio.Max
                ? ((int)Math.Round(height * ratio.Max, MidpointRounding.ToEven), height)
                : (width, height);
        return new CropBox((height - cropHeight) / 2, (width - cropWidth) / 2, cropHeight, cropWidth);
    }

    /// <summary>Crops, resizes to the crop size, maybe flips, and writes normalized CHW floats to <paramref name="output"/>.</summary>
    public static void Apply(RgbImage image, ImageAugmentationOptions options, SeededRandom random, Span<float> output)
    {
        int size = options.Evaluation.CropSize;
        CropBox box = SampleBox(image.Height, image.Width, options.Scale, options.Ratio, random);
        bool flip = random.NextDouble() < options.HorizontalFlipProbability;
        RgbImage resized = ImageResampler.Resize(Crop(image, box), size, size);
        IReadOnlyList<float> mean = options.Evaluation.Mean;
        IReadOnlyList<float> std = options.Evaluation.Std;
        int plane = size * size;
        byte[] pixels = resized.Pixels;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int source = ((y * size) + (flip ? size - 1 - x : x)) * 3;
                for (int c = 0; c < 3; c++)
                {
                    output[(c * plane) + (y * size) + x] = ((pixels[source + c] / 255f) - mean[c]) / std[c];
                }
            }
        }
    }

    private static RgbImage Crop(RgbImage image, CropBox box)
    {
        if (box.Top == 0 && box.Left == 0 && box.Height == image.Height && box.Width == image.Width)
        {
            return image;
        }

        var pixels = new byte[box.Width * box.Height * 3];
        for (int y = 0; y < box.Height; y++)
        {
            Array.Copy(image.Pixels, (((box.Top + y) * image.Width) + box.Left) * 3, pixels, y * box.Width * 3, box.Width * 3);
        }

        return new RgbImage(box.Width, box.Height, pixels);
    }

    /// <summary>A crop rectangle in pixels.</summary>
    internal readonly record struct CropBox(int Top, int Left, int Height, int Width);
}
