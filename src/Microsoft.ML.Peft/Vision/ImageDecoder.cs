using SkiaSharp;

namespace Microsoft.ML.Peft.Vision;

/// <summary>Decodes JPEG, PNG (and the other formats Skia knows) into 8-bit RGB with SkiaSharp.</summary>
/// <remarks>
/// Like PIL's <c>Image.open(...).convert("RGB")</c>, which torchvision's image folders use: alpha is dropped (not
/// blended), no colour profile is applied, and EXIF orientation is ignored.
/// </remarks>
internal static class ImageDecoder
{
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
