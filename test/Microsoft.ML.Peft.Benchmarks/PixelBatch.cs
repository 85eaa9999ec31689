using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>A batch of images already as pixels [B, C, S, S] (no decoding), for the step benchmarks and the digits.</summary>
internal sealed class PixelBatch : ITrainingBatch
{
    private readonly float[] _pixels;

    public PixelBatch(float[] pixels, int channels, int size, int[] rows, int[] labels)
    {
        _pixels = pixels;
        Channels = channels;
        Size = size;
        RowIndices = rows;
        ClassLabels = labels;
    }

    public int Channels { get; }

    public int Size { get; }

    public int Count => RowIndices.Count;

    public IReadOnlyList<int> RowIndices { get; }

    public IReadOnlyList<int>? ClassLabels { get; }

    public IReadOnlyList<float>? Targets => null;

    public Tensor ToTensor(Device device) => tensor(_pixels, [Count, Channels, Size, Size], ScalarType.Float32, device);
}

/// <summary>Images held as pixels in memory, one float array per row.</summary>
internal sealed class PixelData : ITrainingData<PixelBatch>
{
    private readonly float[][] _images;
    private readonly int[] _labels;

    public PixelData(float[][] images, int[] labels, int channels, int size)
    {
        if (images.Length != labels.Length)
        {
            throw new ArgumentException($"There are {images.Length} images but {labels.Length} labels.");
        }

        _images = images;
        _labels = labels;
        Channels = channels;
        Size = size;
    }

    public int Channels { get; }

    public int Size { get; }

    public int Count => _images.Length;

    public bool HasLengths => false;

    public IReadOnlyList<int> Labels => _labels;

    public int GetLength(int index) => 1;

    public PixelBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context)
    {
        int pixels = Channels * Size * Size;
        var block = new float[indices.Count * pixels];
        for (int i = 0; i < indices.Count; i++)
        {
            _images[indices[i]].CopyTo(block, i * pixels);
        }

        return new PixelBatch(block, Channels, Size, indices.ToArray(), indices.Select(i => _labels[i]).ToArray());
    }

    /// <summary>Random normalised pixels, for step timing only.</summary>
    public static PixelData Random(int rows, int size, int classes, int seed)
    {
        var random = new Random(seed);
        var images = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            images[r] = new float[3 * size * size];
            for (int i = 0; i < images[r].Length; i++)
            {
                images[r][i] = (float)((random.NextDouble() * 4) - 2);
            }
        }

        return new PixelData(images, Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray(), 3, size);
    }
}
