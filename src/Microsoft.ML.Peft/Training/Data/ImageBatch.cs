using TorchSharp;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>Preprocessed images as one CHW float block [B, 3, S, S], with their labels.</summary>
public sealed class ImageBatch : ITrainingBatch
{
    private readonly float[] _pixels;

    internal ImageBatch(float[] pixels, int imageSize, int[] rowIndices, int[]? classLabels, float[]? targets)
    {
        _pixels = pixels;
        ImageSize = imageSize;
        RowIndices = rowIndices;
        ClassLabels = classLabels;
        Targets = targets;
    }

    /// <summary>The side S of each square image.</summary>
    public int ImageSize { get; }

    /// <summary>The normalized pixels, B × 3 × S × S row-major.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <inheritdoc />
    public int Count => RowIndices.Count;

    /// <inheritdoc />
    public IReadOnlyList<int> RowIndices { get; }

    /// <inheritdoc />
    public IReadOnlyList<int>? ClassLabels { get; }

    /// <inheritdoc />
    public IReadOnlyList<float>? Targets { get; }

    /// <summary>The images as a float32 tensor [B, 3, S, S] on <paramref name="device"/> (CPU when null); the caller owns it.</summary>
    public torch.Tensor ToTensor(torch.Device? device = null)
    {
        torch.Tensor onCpu = torch.tensor(_pixels, [Count, 3, ImageSize, ImageSize], torch.float32);
        if (device is null || device.type == DeviceType.CPU)
        {
            return onCpu;
        }

        using (onCpu)
        {
            return onCpu.to(device);
        }
    }
}
