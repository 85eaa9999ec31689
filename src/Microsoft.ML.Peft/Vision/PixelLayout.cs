namespace Microsoft.ML.Peft.Vision;

/// <summary>The byte order of raw, tightly packed 8-bit pixels handed to <see cref="ImagePreprocessor.PreprocessPixels"/>.</summary>
public enum PixelLayout
{
    /// <summary>Three bytes per pixel: red, green, blue.</summary>
    Rgb24,

    /// <summary>Four bytes per pixel: red, green, blue, alpha (alpha is ignored). ML.NET's <c>MLPixelFormat.Rgba32</c>.</summary>
    Rgba32,

    /// <summary>Four bytes per pixel: blue, green, red, alpha (alpha is ignored). ML.NET's <c>MLPixelFormat.Bgra32</c>.</summary>
    Bgra32,
}
