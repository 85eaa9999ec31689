using Microsoft.ML.Data;
using TorchSharp;

namespace Microsoft.ML.Peft.Vision;

/// <summary>
/// Turns encoded images (JPEG, PNG, ...) or raw pixels into normalized CHW float32 model inputs, as torchvision's
/// <c>Resize(N) → CenterCrop(S) → ToTensor() → Normalize(mean, std)</c> does on PIL images.
/// </summary>
/// <remarks>
/// <para>Decoding uses SkiaSharp; alpha is dropped and EXIF orientation is ignored, as with PIL's <c>convert("RGB")</c>.</para>
/// <para>
/// Resizing is bilinear with antialiasing, computed as PIL does it (triangle filter widened when shrinking, 8-bit
/// rounding after each pass), which is what torchvision's <c>Resize</c> applies to PIL images and, up to that
/// rounding, to tensors with <c>antialias=True</c> (its default). Plain bilinear sampling without antialiasing
/// (<c>antialias=False</c>, or Skia's own bilinear) differs noticeably when shrinking. Pixels can still differ by a
/// level or two from a Python pipeline because JPEG decoders (libjpeg-turbo in PIL, Skia's) round differently.
/// </para>
/// <para>
/// An ML.NET <c>MLImage</c> goes to <see cref="Preprocess(MLImage, string)"/>. (Its <c>Pixels</c> property cannot be
/// used with this library: ML.NET 5.0.1 was built against SkiaSharp 2.88, and with SkiaSharp 3 that property throws
/// <see cref="MissingMethodException"/>.)
/// </para>
/// Instances are immutable and safe to share between threads.
/// </remarks>
public sealed class ImagePreprocessor
{
    private readonly ImagePreprocessingOptions _options;
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates a preprocessor; <paramref name="options"/> defaults to the ImageNet evaluation transform.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or mean/std do not have three channels, or a std is not positive.</exception>
    public ImagePreprocessor(ImagePreprocessingOptions? options = null)
    {
        _options = (options ?? new ImagePreprocessingOptions()).Clone();
        if (_options.CropSize <= 0)
        {
            throw new ArgumentException($"CropSize must be positive, not {_options.CropSize}.", nameof(options));
        }

        if (_options.ResizeShorterSide is <= 0)
        {
            throw new ArgumentException($"ResizeShorterSide must be positive or null, not {_options.ResizeShorterSide}.", nameof(options));
        }

        if (_options.Mean.Count != 3 || _options.Std.Count != 3)
        {
            throw new ArgumentException(
                $"Mean and Std need one value per RGB channel (3), not {_options.Mean.Count} and {_options.Std.Count}.", nameof(options));
        }

        if (_options.Std.Any(s => !(s > 0)))
        {
            throw new ArgumentException($"Every Std value must be positive: [{string.Join(", ", _options.Std)}].", nameof(options));
        }

        _mean = _options.Mean.ToArray();
        _std = _options.Std.ToArray();
    }

    /// <summary>A copy of the settings in effect.</summary>
    public ImagePreprocessingOptions Options => _options.Clone();

    /// <summary>The side S of the square output.</summary>
    public int OutputSize => _options.CropSize;

    /// <summary>The number of floats of one preprocessed image: 3 × S × S.</summary>
    public int OutputLength => 3 * OutputSize * OutputSize;

    /// <summary>Decodes and preprocesses the image file at <paramref name="path"/> into CHW floats [3, S, S].</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not a decodable image.</exception>
    public float[] Preprocess(string path)
    {
        var output = new float[OutputLength];
        PreprocessFile(path, output);
        return output;
    }

    /// <summary>Decodes and preprocesses encoded image bytes; <paramref name="sourceName"/> names them in errors.</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image.</exception>
    public float[] Preprocess(byte[] encodedImage, string sourceName = "image bytes")
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        var output = new float[OutputLength];
        Transform(ImageDecoder.Decode(encodedImage, sourceName), output);
        return output;
    }

    /// <summary>Reads, decodes and preprocesses an encoded image from <paramref name="stream"/>.</summary>
    /// <exception cref="ImageDecodeException">The stream does not hold a decodable image.</exception>
    public float[] Preprocess(Stream stream, string sourceName = "image stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var output = new float[OutputLength];
        Transform(ImageDecoder.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sourceName), output);
        return output;
    }

    /// <summary>
    /// Preprocesses an ML.NET <see cref="MLImage"/> (what <c>mlContext.Transforms.LoadImages</c> gives) the same way as
    /// its file would be. One difference is ML.NET's: it decodes images with premultiplied alpha, so the colour under
    /// transparent pixels is already lost (fully transparent pixels come out black, where decoding the file keeps their
    /// stored colour, as PIL's <c>convert("RGB")</c> does); pass the file or its bytes to keep it.
    /// </summary>
    /// <exception cref="ImageDecodeException">The image is null, empty or of an unknown pixel format (the message names <paramref name="sourceName"/>).</exception>
    public float[] Preprocess(MLImage image, string sourceName = "MLImage")
    {
        var output = new float[OutputLength];
        Transform(ImageDecoder.Decode(MLImageEncoding.ToPng(image, sourceName), sourceName), output);
        return output;
    }

    /// <summary>Preprocesses raw, tightly packed 8-bit pixels.</summary>
    public float[] PreprocessPixels(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        var output = new float[OutputLength];
        Transform(new RgbImage(width, height, ImagePixels.ToRgb(pixels, width, height, layout)), output);
        return output;
    }

    /// <summary>Preprocesses image files into one float32 tensor [B, 3, S, S] that the caller owns.</summary>
    public torch.Tensor PreprocessBatch(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var data = new float[paths.Count * OutputLength];
        for (int i = 0; i < paths.Count; i++)
        {
            PreprocessFile(paths[i] ?? throw new ArgumentException($"Path {i} of the batch is null.", nameof(paths)), data.AsSpan(i * OutputLength, OutputLength));
        }

        return BatchTensor(data, paths.Count);
    }

    /// <summary>Preprocesses encoded images into one float32 tensor [B, 3, S, S] that the caller owns.</summary>
    public torch.Tensor PreprocessBatch(IReadOnlyList<byte[]> encodedImages)
    {
        ArgumentNullException.ThrowIfNull(encodedImages);
        var data = new float[encodedImages.Count * OutputLength];
        for (int i = 0; i < encodedImages.Count; i++)
        {
            byte[] encoded = encodedImages[i] ?? throw new ArgumentException($"Image {i} of the batch is null.", nameof(encodedImages));
            Transform(ImageDecoder.Decode(encoded, $"image {i} of the batch"), data.AsSpan(i * OutputLength, OutputLength));
        }

        return BatchTensor(data, encodedImages.Count);
    }

    /// <summary>Stacks already preprocessed images (each 3 × S × S floats) into a float32 tensor [B, 3, S, S] that the caller owns.</summary>
    public torch.Tensor ToBatchTensor(IReadOnlyList<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var data = new float[images.Count * OutputLength];
        for (int i = 0; i < images.Count; i++)
        {
            float[] image = images[i] ?? throw new ArgumentException($"Image {i} of the batch is null.", nameof(images));
            if (image.Length != OutputLength)
            {
                throw new ArgumentException($"Image {i} has {image.Length} floats; a [3, {OutputSize}, {OutputSize}] image has {OutputLength}.", nameof(images));
            }

            image.CopyTo(data, i * OutputLength);
        }

        return BatchTensor(data, images.Count);
    }

    private torch.Tensor BatchTensor(float[] data, int count) =>
        torch.tensor(data, [count, 3, OutputSize, OutputSize], torch.float32);

    private void PreprocessFile(string path, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        }

        Transform(ImageDecoder.Decode(File.ReadAllBytes(path), path), output);
    }

    private void Transform(RgbImage image, Span<float> output)
    {
        RgbImage resized = _options.ResizeShorterSide is { } shorter ? ResizeShorterSide(image, shorter) : image;
        int size = OutputSize;
        int top = CropOffset(resized.Height, size);
        int left = CropOffset(resized.Width, size);
        int plane = size * size;
        byte[] pixels = resized.Pixels;
        for (int y = 0; y < size; y++)
        {
            int sourceY = top + y;
            for (int x = 0; x < size; x++)
            {
                int sourceX = left + x;
                bool inside = sourceY >= 0 && sourceY < resized.Height && sourceX >= 0 && sourceX < resized.Width;
                int source = inside ? ((sourceY * resized.Width) + sourceX) * 3 : -1;
                for (int c = 0; c < 3; c++)
                {
                    // Outside the image (crop larger than the image) torchvision pads with black.
                    byte value = inside ? pixels[source + c] : (byte)0;
                    output[(c * plane) + (y * size) + x] = ((value / 255f) - _mean[c]) / _std[c];
                }
            }
        }
    }

    private static RgbImage ResizeShorterSide(RgbImage image, int shorter)
    {
        bool portrait = image.Width <= image.Height;
        int shortSide = portrait ? image.Width : image.Height;
        int longSide = portrait ? image.Height : image.Width;
        int newLong = (int)((double)shorter * longSide / shortSide);
        (int width, int height) = portrait ? (shorter, newLong) : (newLong, shorter);
        return width == image.Width && height == image.Height ? image : ImageResampler.Resize(image, width, height);
    }

    // torchvision's CenterCrop: round((size - crop) / 2) (half to even); a crop larger than the image pads
    // floor((crop - size) / 2) before it.
    private static int CropOffset(int imageSize, int cropSize) =>
        imageSize >= cropSize
            ? (int)Math.Round((imageSize - cropSize) / 2.0, MidpointRounding.ToEven)
            : -((cropSize - imageSize) / 2);
}
