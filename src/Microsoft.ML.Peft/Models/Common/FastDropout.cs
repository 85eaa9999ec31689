using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Inverted dropout (zero each element with probability p while training, scale the rest by 1/(1−p)) with the same
/// behaviour as <c>nn.Dropout</c>, but with CPU masks drawn in parallel by <see cref="DropoutMask"/>. Backward keeps
/// only a one-byte mask per element, as libtorch's own dropout does. Other devices use libtorch's dropout.
/// </summary>
internal sealed class FastDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _probability;

    public FastDropout(double probability)
        : base(nameof(FastDropout))
    {
        DropoutMask.RequireProbability(probability, nameof(probability));
        _probability = probability;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double Probability => _probability;

    public override Tensor forward(Tensor input) => Apply(input, _probability, training);

    /// <summary>
    /// <paramref name="input"/> with dropout applied when <paramref name="training"/> and p &gt; 0; otherwise a new
    /// handle to <paramref name="input"/> itself.
    /// </summary>
    public static Tensor Apply(Tensor input, double probability, bool training)
    {
        if (!training || probability == 0 || input.numel() == 0)
        {
            return input.alias();
        }

        if (input.device_type != DeviceType.CPU)
        {
            return nn.functional.dropout(input, probability, training: true);
        }

        using Tensor keep = DropoutMask.DrawKeepMask(input.shape, probability);
        using Scalar keptScale = 1.0 / (1.0 - probability);
        return input.mul(keep).mul_(keptScale);
    }
}
