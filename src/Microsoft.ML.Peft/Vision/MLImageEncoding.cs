using System.Reflection;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Peft.Vision;

/// <summary>
/// Turns an ML.NET <see cref="MLImage"/> (what <c>LoadImages</c> puts in an image column) into PNG bytes, so image
/// columns of that type go through the same decoding, resizing and augmentation as encoded images. PNG is lossless:
/// the pixels decoded back are the image's own, except that ML.NET keeps them with premultiplied alpha, so under
/// transparent pixels the stored colour is already lost (black at alpha 0) before it gets here.
/// </summary>
internal static class MLImageEncoding
{
    /// <summary>The image's pixels as a PNG file.</summary>
    /// <param name="image">The image (8-bit BGRA or RGBA pixels).</param>
    /// <param name="where">Which image this is, for error messages (for example "the image of row 3").</param>
    /// <exception cref="ImageDecodeException">The image is null, empty or cannot be encoded.</exception>
    public static byte[] ToPng(MLImage? image, string where)
    {
        if (image is null)
        {
            throw new ImageDecodeException(where, "the image column holds no image (null)");
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            throw new ImageDecodeException(where, $"it has no pixels ({image.Width}×{image.Height})");
        }

        // ML.NET 5.0.1 was built against SkiaSharp 2.88: its MLImage.Pixels calls an SKBitmap method that SkiaSharp 3
        // no longer has (MissingMethodException). The bitmap it wraps is a SkiaSharp 3 SKBitmap all the same, so it is
        // encoded directly; Pixels is the way when the bitmap cannot be reached.
        if (BitmapField?.GetValue(image) is SKBitmap bitmap)
        {
            using SKImage? wrapped = SKImage.FromBitmap(bitmap);
            return Encode(wrapped, image, where);
        }

        SKColorType colorType = image.PixelFormat switch
        {
            MLPixelFormat.Rgba32 => SKColorType.Rgba8888,
            MLPixelFormat.Bgra32 => SKColorType.Bgra8888,
            _ => throw new ImageDecodeException(where, $"its pixel format is {image.PixelFormat}; Bgra32 or Rgba32 was expected"),
        };
        var info = new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Unpremul);
        using SKImage? copy = SKImage.FromPixelCopy(info, image.Pixels);
        return Encode(copy, image, where);
    }

    private static readonly FieldInfo? BitmapField =
        typeof(MLImage).GetField("_image", BindingFlags.Instance | BindingFlags.NonPublic) is { FieldType: var type } field && type == typeof(SKBitmap) ? field : null;

    private static byte[] Encode(SKImage? source, MLImage image, string where)
    {
        using SKData? png = source?.Encode(SKEncodedImageFormat.Png, 100);
        return png?.ToArray() ?? throw new ImageDecodeException(where, $"its {image.Width}×{image.Height} {image.PixelFormat} pixels could not be encoded");
    }
}
