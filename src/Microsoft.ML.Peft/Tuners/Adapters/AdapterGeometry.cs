using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// The widths a bottleneck adapter needs around the module it wraps, and its projections: linear layers for a dense
/// module, 1×1 convolutions for a convolution or a convolutional block (channels are the feature dimension).
/// </summary>
internal abstract class AdapterGeometry
{
    private AdapterGeometry(long inFeatures, long outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Features (channels) entering the wrapped module.</summary>
    public long InFeatures { get; }

    /// <summary>Features (channels) leaving it: the adapter's model width, which the reduction factor divides.</summary>
    public long OutFeatures { get; }

    /// <summary>The geometry of <paramref name="module"/>.</summary>
    /// <exception cref="ArgumentException">The module is neither dense, nor a convolution, nor a block holding convolutions.</exception>
    public static AdapterGeometry For(string key, nn.Module module)
    {
        switch (module)
        {
            case Linear linear:
                return new Dense(linear.in_features, linear.out_features);
            case Conv2d conv:
                return new Convolution(conv);
            case nn.Module<Tensor, Tensor> block when block.modules().OfType<Conv2d>().ToList() is { Count: > 0 } convs:
                // A residual block (ResNet's BasicBlock, Bottleneck): its first convolution reads the block's input, its
                // last registered one (the projection shortcut when present) writes the block's width, and the spatial
                // stride of the block is the largest stride of its convolutions.
                long stride = convs.Max(c => Math.Max(c.stride[0], c.stride[1]));
                return new Block(convs[0].in_channels, convs[^1].out_channels, stride);
            default:
                throw new ArgumentException(
                    $"Target module '{key}' ({module.GetType().Name}) is not supported. Bottleneck adapters wrap Linear, Conv2d and " +
                    "convolutional blocks (single-tensor modules holding Conv2d layers, such as ResNet's BasicBlock and Bottleneck); " +
                    "narrow TargetModules to such modules.");
        }
    }

    /// <summary>The down-projection to <paramref name="bottleneck"/> features, reading the output (sequential) or the input (parallel).</summary>
    public abstract nn.Module<Tensor, Tensor> Down(bool parallel, long bottleneck, Device device, ScalarType dtype);

    /// <summary>The up-projection from <paramref name="bottleneck"/> features back to <see cref="OutFeatures"/>.</summary>
    public abstract nn.Module<Tensor, Tensor> Up(long bottleneck, Device device, ScalarType dtype);

    private static Conv2d Pointwise(long inChannels, long outChannels, long stride, Device device, ScalarType dtype) =>
        nn.Conv2d(inChannels, outChannels, (1L, 1L), (stride, stride), (0L, 0L), (1L, 1L), PaddingModes.Zeros, 1, true, device, dtype);

    private sealed class Dense(long inFeatures, long outFeatures) : AdapterGeometry(inFeatures, outFeatures)
    {
        public override nn.Module<Tensor, Tensor> Down(bool parallel, long bottleneck, Device device, ScalarType dtype) =>
            nn.Linear(parallel ? InFeatures : OutFeatures, bottleneck, hasBias: true, device: device, dtype: dtype);

        public override nn.Module<Tensor, Tensor> Up(long bottleneck, Device device, ScalarType dtype) =>
            nn.Linear(bottleneck, OutFeatures, hasBias: true, device: device, dtype: dtype);
    }

    private sealed class Convolution(Conv2d conv) : AdapterGeometry(conv.in_channels, conv.out_channels)
    {
        /// <summary>In parallel the down-projection copies the convolution's kernel, stride, padding and dilation, so both outputs have the same size.</summary>
        public override nn.Module<Tensor, Tensor> Down(bool parallel, long bottleneck, Device device, ScalarType dtype)
        {
            if (!parallel)
            {
                return Pointwise(OutFeatures, bottleneck, 1, device, dtype);
            }

            (long, long) kernel = (conv.kernel_size[0], conv.kernel_size[1]);
            (long, long) stride = (conv.stride[0], conv.stride[1]);
            (long, long) dilation = (conv.dilation[0], conv.dilation[1]);
            return conv.padding_type is { } paddingType
                ? nn.Conv2d(InFeatures, bottleneck, kernel, paddingType, stride, dilation, conv.padding_mode, 1, true, device, dtype)
                : nn.Conv2d(InFeatures, bottleneck, kernel, stride, (conv.padding![0], conv.padding[1]), dilation, conv.padding_mode, 1, true, device, dtype);
        }

        public override nn.Module<Tensor, Tensor> Up(long bottleneck, Device device, ScalarType dtype) =>
            Pointwise(bottleneck, OutFeatures, 1, device, dtype);
    }

    private sealed class Block(long inChannels, long outChannels, long stride) : AdapterGeometry(inChannels, outChannels)
    {
        /// <summary>In parallel a 1×1 convolution with the block's stride reads the block's input (as its projection shortcut does).</summary>
        public override nn.Module<Tensor, Tensor> Down(bool parallel, long bottleneck, Device device, ScalarType dtype) =>
            parallel ? Pointwise(InFeatures, bottleneck, stride, device, dtype) : Pointwise(OutFeatures, bottleneck, 1, device, dtype);

        public override nn.Module<Tensor, Tensor> Up(long bottleneck, Device device, ScalarType dtype) =>
            Pointwise(bottleneck, OutFeatures, 1, device, dtype);
    }
}
