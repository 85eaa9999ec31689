using SkiaSharp;

namespace Microsoft.ML.Peft.Tests.Vision;

/// <summary>Small images with known pixels, encoded to PNG with SkiaSharp.</summary>
internal static class SyntheticImages
{
    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/> whose pixel (x, y) is <paramref name="color"/>(x, y).</summary>
    public static byte[] Png(int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A distinct colour for every pixel of a small image.</summary>
    public static SKColor Distinct(int x, int y) => new((byte)(10 + (40 * x)), (byte)(20 + (30 * y)), (byte)(250 - (17 * x) - (11 * y)));
}
