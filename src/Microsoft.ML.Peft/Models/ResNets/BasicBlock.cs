using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>
/// torchvision's <c>BasicBlock</c>: conv3x3(stride) → BN → ReLU → conv3x3 → BN, plus the shortcut, then ReLU.
/// Submodules are named <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c> and (when present) <c>downsample</c>.
/// </summary>
[InvokesChildrenWithCall]
public sealed class BasicBlock : nn.Module<Tensor, Tensor>, IResidualBlock
{
    // Field names are the torchvision state-dict names: TorchSharp registers submodules under their field names.
    private readonly nn.Module<Tensor, Tensor> conv1; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn1;
    private readonly ReLU relu;
    private readonly nn.Module<Tensor, Tensor> conv2; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn2;
    private readonly Sequential? downsample;

    /// <summary>Creates a block from <paramref name="inChannels"/> to <paramref name="width"/> channels.</summary>
    /// <param name="inChannels">Channels entering the block.</param>
    /// <param name="width">Channels of both convolutions and of the block's output (expansion 1).</param>
    /// <param name="stride">Stride of the first 3×3 convolution and of the shortcut.</param>
    public BasicBlock(int inChannels, int width, int stride = 1)
        : base(nameof(BasicBlock))
    {
        conv1 = ResNetLayers.Conv3x3(inChannels, width, stride);
        bn1 = ResNetLayers.BatchNorm(width);
        relu = nn.ReLU(inplace: true);
        conv2 = ResNetLayers.Conv3x3(width, width);
        bn2 = ResNetLayers.BatchNorm(width);
        downsample = ResNetLayers.Downsample(inChannels, width, stride);
        RegisterComponents();
    }

    /// <summary>The torchvision expansion factor of this block type.</summary>
    public const int Expansion = 1;

    BatchNorm IResidualBlock.LastNorm => bn2;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor output = relu.call(bn1.call(conv1.call(input)));
        output = bn2.call(conv2.call(output));
        Tensor identity = downsample is null ? input : downsample.call(input);
        output = output.PlusInPlace(identity);
        return relu.call(output).MoveToOuterDisposeScope();
    }
}
