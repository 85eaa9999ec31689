using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// (IA)³ on a 2-D convolution, as PEFT's <c>ia3.Conv2d</c>: <c>ia3_l</c> has shape [1, out, 1, 1] and scales the output
/// channels, or for a feed-forward layer [1, in, 1, 1] and scales the input channels. Merging scales the filters
/// (output channels) or their input channels.
/// </summary>
public sealed class IA3Conv2d : IA3Layer
{
    internal IA3Conv2d(Conv2d baseLayer, string adapterName, bool isFeedforward, IA3Config config, bool initialize)
        : base(nameof(IA3Conv2d), baseLayer, isFeedforward)
    {
        if (isFeedforward && baseLayer.groups != 1)
        {
            throw new ArgumentException(
                $"Feed-forward (IA)³ on a grouped convolution (groups = {baseLayer.groups}) cannot be merged into its weight; " +
                "remove it from the feed-forward modules.");
        }

        UpdateLayer(adapterName, config.InitIA3Weights || !initialize);
    }

    private Conv2d Conv => (Conv2d)BaseLayer;

    /// <inheritdoc />
    private protected override Tensor BaseWeight => Conv.weight!;

    /// <inheritdoc />
    private protected override Tensor? BaseBias => Conv.bias;

    /// <inheritdoc />
    private protected override long[] VectorShape => [1, IsFeedforward ? Conv.in_channels : Conv.out_channels, 1, 1];

    /// <summary>The weight is [out, in, kH, kW]: [1, in, 1, 1] broadcasts as is, the output vector is permuted to [out, 1, 1, 1].</summary>
    private protected override Tensor VectorInWeightLayout(Tensor vector) => IsFeedforward ? vector : vector.permute(1, 0, 2, 3);

    /// <inheritdoc />
    private protected override Tensor VectorInActivationLayout(Tensor vector) => vector;
}
