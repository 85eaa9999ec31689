namespace Microsoft.ML.Peft.Vision;

/// <summary>Conversions of raw pixel layouts to interleaved RGB.</summary>
internal static class ImagePixels
{
    public static byte[] ToRgb(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        int channels = layout == PixelLayout.Rgb24 ? 3 : 4;
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
        {
            throw new ArgumentException(
                $"A {width}x{height} {layout} image needs {expected} bytes (tightly packed rows), not {pixels.Length}.", nameof(pixels));
        }

        var rgb = new byte[width * height * 3];
        if (layout == PixelLayout.Rgb24)
        {
            pixels.CopyTo(rgb);
            return rgb;
        }

        (int red, int blue) = layout == PixelLayout.Bgra32 ? (2, 0) : (0, 2);
        for (int source = 0, target = 0; target < rgb.Length; source += 4, target += 3)
        {
            rgb[target] = pixels[source + red];
            rgb[target + 1] = pixels[source + 1];
            rgb[target + 2] = pixels[source + blue];
        }

        return rgb;
    }
}
