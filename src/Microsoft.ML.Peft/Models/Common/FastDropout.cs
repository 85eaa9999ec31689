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
    private readonly bool _inPlace;

    /// <param name="probability">The probability of zeroing an element, in [0, 1).</param>
    /// <param name="inPlace">
    /// Overwrite the input (nn.Dropout's <c>inplace</c>): saves a tensor the size of the input, and is right only where
    /// the module before does not keep its output for backward (a Linear keeps its input, not its output). Autograd
    /// refuses the backward pass, rather than computing a wrong one, where that does not hold.
    /// </param>
    public FastDropout(double probability, bool inPlace = false)
        : base(nameof(FastDropout))
    {
        DropoutMask.RequireProbability(probability, nameof(probability));
        _probability = probability;
        _inPlace = inPlace;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double Probability => _probability;

    public override Tensor forward(Tensor input) => Apply(input, _probability, training, _inPlace);

    /// <summary>
    /// <paramref name="input"/> with dropout applied when <paramref name="training"/> and p &gt; 0 (into
    /// <paramref name="input"/> itself when <paramref name="inPlace"/>); otherwise a new handle to <paramref name="input"/> itself.
    /// </summary>
    public static Tensor Apply(Tensor input, double probability, bool training, bool inPlace = false)
    {
        if (!training || probability == 0 || input.numel() == 0)
        {
            return input.alias();
        }

        if (input.device_type != DeviceType.CPU)
        {
            return nn.functional.dropout(input, probability, training: true, inplace: inPlace);
        }

        using Tensor keep = DropoutMask.DrawKeepMask(input.shape, probability);
        using Scalar keptScale = 1.0 / (1.0 - probability);
        return (inPlace ? input.mul_(keep) : input.mul(keep)).mul_(keptScale);
    }
}
