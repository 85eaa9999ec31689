using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>The convolution and normalization layers of a ResNet, with torchvision's exact settings.</summary>
internal static class ResNetLayers
{
    /// <summary>torchvision's BatchNorm2d defaults (kept explicit because running-stat updates depend on them).</summary>
    public const double BatchNormEps = 1e-5;

    /// <summary>Weight of the new batch in the running-stat moving average.</summary>
    public const double BatchNormMomentum = 0.1;

    /// <summary>3×3 convolution, padding 1, no bias (torchvision <c>conv3x3</c>).</summary>
    public static Conv2d Conv3x3(int inChannels, int outChannels, int stride = 1, int groups = 1) =>
        nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, groups: groups, bias: false);

    /// <summary>1×1 convolution, no bias (torchvision <c>conv1x1</c>).</summary>
    public static Conv2d Conv1x1(int inChannels, int outChannels, int stride = 1) =>
        nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);

    /// <summary>BatchNorm2d with affine weights and tracked running statistics (see <see cref="ResNetBatchNorm"/> for why not TorchSharp's own).</summary>
    public static BatchNorm BatchNorm(int channels) => new ResNetBatchNorm(channels, BatchNormEps, BatchNormMomentum);

    /// <summary>
    /// The projection shortcut (<c>downsample.0</c> conv, <c>downsample.1</c> BN), needed when the block changes the
    /// resolution or the channel count; otherwise <c>null</c> (identity shortcut), as in torchvision.
    /// </summary>
    public static Sequential? Downsample(int inChannels, int outChannels, int stride) =>
        stride != 1 || inChannels != outChannels
            ? nn.Sequential(("0", Conv1x1(inChannels, outChannels, stride)), ("1", BatchNorm(outChannels)))
            : null;
}
