namespace Microsoft.ML.Peft.Vision;

/// <summary>
/// Bilinear resizing with antialiasing as PIL's <c>Image.resize(..., BILINEAR)</c> does it, which is what torchvision's
/// <c>Resize</c> runs on PIL images: a triangle filter widened by the scale factor when shrinking, a horizontal pass and
/// then a vertical one, each rounded to 8 bits with PIL's 22-bit fixed-point weights.
/// </summary>
internal static class ImageResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        RgbImage result = image;
        if (width != image.Width)
        {
            result = ResizeHorizontally(result, width);
        }

        if (height != image.Height)
        {
            result = ResizeVertically(result, height);
        }

        return result;
    }

    private static RgbImage ResizeHorizontally(RgbImage image, int width)
    {
        Filter filter = Filter.Create(image.Width, width);
        var output = new byte[width * image.Height * 3];
        byte[] input = image.Pixels;
        for (int y = 0; y < image.Height; y++)
        {
            int inRow = y * image.Width * 3;
            int outRow = y * width * 3;
            for (int x = 0; x < width; x++)
            {
                (int start, int count) = filter.Bounds[x];
                ReadOnlySpan<int> weights = filter.Weights(x);
                for (int c = 0; c < 3; c++)
                {
                    long sum = 1L << (PrecisionBits - 1);
                    for (int k = 0; k < count; k++)
                    {
                        sum += input[inRow + ((start + k) * 3) + c] * (long)weights[k];
                    }

                    output[outRow + (x * 3) + c] = Clip8(sum);
                }
            }
        }

        return new RgbImage(width, image.Height, output);
    }

    private static RgbImage ResizeVertically(RgbImage image, int height)
    {
        Filter filter = Filter.Create(image.Height, height);
        int stride = image.Width * 3;
        var output = new byte[stride * height];
        byte[] input = image.Pixels;
        for (int y = 0; y < height; y++)
        {
            (int start, int count) = filter.Bounds[y];
            ReadOnlySpan<int> weights = filter.Weights(y);
            for (int i = 0; i < stride; i++)
            {
                long sum = 1L << (PrecisionBits - 1);
                for (int k = 0; k < count; k++)
                {
                    sum += input[((start + k) * stride) + i] * (long)weights[k];
                }

                output[(y * stride) + i] = Clip8(sum);
            }
        }

        return new RgbImage(image.Width, height, output);
    }

    private static byte Clip8(long value) => (byte)Math.Clamp(value >> PrecisionBits, 0, 255);

    /// <summary>For each output pixel: the first input pixel, how many it reads, and their fixed-point weights.</summary>
    private sealed class Filter
    {
        private readonly int[] _weights;
        private readonly int _taps;

        private Filter((int Start, int Count)[] bounds, int[] weights, int taps)
        {
            Bounds = bounds;
            _weights = weights;
            _taps = taps;
        }

        public (int Start, int Count)[] Bounds { get; }

        public ReadOnlySpan<int> Weights(int output) => _weights.AsSpan(output * _taps, Bounds[output].Count);

        public static Filter Create(int inputSize, int outputSize)
        {
            double scale = (double)inputSize / outputSize;
            double filterScale = Math.Max(scale, 1.0); // widen the triangle when shrinking: the antialiasing
            double support = 1.0 * filterScale;
            int taps = ((int)Math.Ceiling(support) * 2) + 1;
            var bounds = new (int, int)[outputSize];
            var weights = new int[outputSize * taps];
            var raw = new double[taps];
            double inverseFilterScale = 1.0 / filterScale;
            for (int o = 0; o < outputSize; o++)
            {
                double center = (o + 0.5) * scale;
                int start = Math.Max((int)(center - support + 0.5), 0);
                int end = Math.Min((int)(center + support + 0.5), inputSize);
                int count = end - start;
                double total = 0;
                for (int k = 0; k < count; k++)
                {
                    double distance = Math.Abs((k + start - center + 0.5) * inverseFilterScale);
                    raw[k] = distance < 1.0 ? 1.0 - distance : 0.0;
                    total += raw[k];
                }

                for (int k = 0; k < count; k++)
                {
                    double weight = total != 0 ? raw[k] / total : 0;
                    weights[(o * taps) + k] = (int)(0.5 + (weight * (1 << PrecisionBits)));
                }

                bounds[o] = (start, count);
            }

            return new Filter(bounds, weights, taps);
        }
    }
}
