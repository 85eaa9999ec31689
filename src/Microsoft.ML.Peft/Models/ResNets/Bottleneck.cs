using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>
/// torchvision's <c>Bottleneck</c> (v1.5, stride on the 3×3): conv1x1 → BN → ReLU → conv3x3(stride, groups) → BN → ReLU
/// → conv1x1 (×4 channels) → BN, plus the shortcut, then ReLU. Submodules are named <c>conv1</c>…<c>conv3</c>,
/// <c>bn1</c>…<c>bn3</c> and (when present) <c>downsample</c>.
/// </summary>
[InvokesChildrenWithCall]
public sealed class Bottleneck : nn.Module<Tensor, Tensor>, IResidualBlock
{
    // Field names are the torchvision state-dict names: TorchSharp registers submodules under their field names.
    private readonly nn.Module<Tensor, Tensor> conv1; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn1;
    private readonly nn.Module<Tensor, Tensor> conv2; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn2;
    private readonly nn.Module<Tensor, Tensor> conv3; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn3;
    private readonly ReLU relu;
    private readonly Sequential? downsample;

    /// <summary>Creates a bottleneck block.</summary>
    /// <param name="inChannels">Channels entering the block.</param>
    /// <param name="innerWidth">Channels of the 1×1 reduction and the 3×3 convolution.</param>
    /// <param name="outChannels">Channels of the block's output (torchvision: <c>planes × 4</c>).</param>
    /// <param name="stride">Stride of the 3×3 convolution and of the shortcut.</param>
    /// <param name="groups">Groups of the 3×3 convolution (ResNeXt).</param>
    public Bottleneck(int inChannels, int innerWidth, int outChannels, int stride = 1, int groups = 1)
        : base(nameof(Bottleneck))
    {
        conv1 = ResNetLayers.Conv1x1(inChannels, innerWidth);
        bn1 = ResNetLayers.BatchNorm(innerWidth);
        conv2 = ResNetLayers.Conv3x3(innerWidth, innerWidth, stride, groups);
        bn2 = ResNetLayers.BatchNorm(innerWidth);
        conv3 = ResNetLayers.Conv1x1(innerWidth, outChannels);
        bn3 = ResNetLayers.BatchNorm(outChannels);
        relu = nn.ReLU(inplace: true);
        downsample = ResNetLayers.Downsample(inChannels, outChannels, stride);
        RegisterComponents();
    }

    /// <summary>The torchvision expansion factor of this block type.</summary>
    public const int Expansion = 4;

    BatchNorm IResidualBlock.LastNorm => bn3;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor output = relu.call(bn1.call(conv1.call(input)));
        output = relu.call(bn2.call(conv2.call(output)));
        output = bn3.call(conv3.call(output));
        Tensor identity = downsample is null ? input : downsample.call(input);
        output = output.PlusInPlace(identity);
        return relu.call(output).MoveToOuterDisposeScope();
    }
}
