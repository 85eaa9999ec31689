using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>
/// Decides which trainable parameters get weight decay. The default follows Hugging Face's Trainer: biases and the
/// affine weights of normalization layers (LayerNorm, BatchNorm, GroupNorm) do not decay; weight matrices,
/// convolution kernels, embeddings and LoRA/adapter matrices do.
/// </summary>
public static class WeightDecayRule
{
    /// <summary>
    /// True when <paramref name="parameter"/> named <paramref name="name"/> must not decay: it has at most one dimension
    /// (every bias and every norm weight), its name ends with <c>bias</c>, or the module that owns it is a normalization
    /// layer by name (its module name contains <c>norm</c>, as <c>LayerNorm</c>, <c>layer_norm</c> or <c>norm1</c> do, or is
    /// torchvision's <c>bn1</c>, <c>bn2</c>, ...).
    /// </summary>
    public static bool IsExcludedByDefault(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.dim() <= 1 || name.EndsWith("bias", StringComparison.Ordinal))
        {
            return true;
        }

        string[] segments = name.Split('.');
        string owner = segments.Length >= 2 ? segments[^2] : string.Empty;
        return owner.Contains("norm", StringComparison.OrdinalIgnoreCase) || IsBatchNormName(owner);
    }

    // torchvision names its BatchNorm layers bn1, bn2, bn3.
    private static bool IsBatchNormName(string segment) =>
        segment.StartsWith("bn", StringComparison.Ordinal) && segment.Skip(2).All(char.IsAsciiDigit);
}
