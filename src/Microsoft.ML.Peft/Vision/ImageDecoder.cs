using SkiaSharp;

namespace Microsoft.ML.Peft.Vision;

/// <summary>Decodes JPEG, PNG (and the other formats Skia knows) into 8-bit RGB with SkiaSharp.</summary>
/// <remarks>
/// Like PIL's <c>Image.open(...).convert("RGB")</c>, which torchvision's image folders use: alpha is dropped (not
/// blended), no colour profile is applied, and EXIF orientation is ignored.
/// </remarks>
internal static class ImageDecoder
{
    /// <summary>
    /// The most pixels an image may have: PIL's <c>DecompressionBombError</c> limit (twice its <c>MAX_IMAGE_PIXELS</c>),
    /// which also keeps the RGBA buffer (4 bytes a pixel) within one .NET array.
    /// </summary>
    public const long MaxPixels = 2L * 89_478_485;

    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string sourceName)
    {
        if (encoded.IsEmpty)
        {
            throw new ImageDecodeException(sourceName, "the data is empty.");
        }

        using SKData data = SKData.CreateCopy(encoded);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw new ImageDecodeException(sourceName, $"not a recognised image format (first bytes: {Convert.ToHexString(encoded[..Math.Min(8, encoded.Length)])}).");
        }

        int width = codec.Info.Width;
        int height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(sourceName, $"the image has no pixels ({width}x{height}).");
        }

        if ((long)width * height > MaxPixels)
        {
            throw new ImageDecodeException(
                sourceName, $"the image is {width}x{height} ({(long)width * height:N0} pixels), more than the {MaxPixels:N0} decoded here (PIL refuses such images as decompression bombs too).");
        }

        // Unpremultiplied RGBA with no colour space: the stored colour values, alpha left aside.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* destination = rgba)
            {
                result = codec.GetPixels(info, (IntPtr)destination);
            }
        }

        if (result != SKCodecResult.Success)
        {
            throw new ImageDecodeException(sourceName, $"decoding the {codec.EncodedFormat} data failed ({result}).");
        }

        return new RgbImage(width, height, ImagePixels.ToRgb(rgba, width, height, PixelLayout.Rgba32));
    }
}
