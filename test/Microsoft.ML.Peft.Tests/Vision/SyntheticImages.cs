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

    /// <summary>
    /// Rewrites the size in a PNG's header (its IHDR chunk, right after the 8-byte signature) and the chunk's CRC, so
    /// the file claims <paramref name="width"/>×<paramref name="height"/> pixels without holding them.
    /// </summary>
    public static void SetPngSize(byte[] png, int width, int height)
    {
        const int TypeOffset = 12; // signature (8), chunk length (4)
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, TypeOffset, 4));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(TypeOffset + 4), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(TypeOffset + 8), height);
        uint crc = Crc32(png.AsSpan(TypeOffset, 4 + 13)); // the type and the 13 data bytes
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(TypeOffset + 4 + 13), crc);
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320).
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>A distinct colour for every pixel of a small image.</summary>
    public static SKColor Distinct(int x, int y) => new((byte)(10 + (40 * x)), (byte)(20 + (30 * y)), (byte)(250 - (17 * x) - (11 * y)));
}
