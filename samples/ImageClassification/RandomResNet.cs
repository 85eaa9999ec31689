using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;

namespace Microsoft.ML.Peft.Samples.ImageClassification;

/// <summary>
/// The image sample's base when no <c>--base-model</c> is given (it runs offline, and no pretrained checkpoint ships with
/// it): a narrow ResNet with one basic block per stage, randomly initialised, small enough to train from scratch in minutes.
/// </summary>
internal static class RandomResNet
{
    private static readonly int[] Widths = [32, 64, 128, 256];

    public static string Description => $"a randomly initialised ResNet-10 (one basic block per stage, widths {string.Join("/", Widths)})";

    public static ResNet Create(int classes, int seed)
    {
        using (torch.manual_seed(seed))
        {
            // Seeds torch's generator, which draws the initial weights.
        }

        return new ResNet(new ResNetConfig
        {
            BlockType = ResNetBlockType.Basic,
            BlocksPerStage = [1, 1, 1, 1],
            StageWidths = Widths,
            StemWidth = Widths[0],
            NumClasses = classes,
        });
    }
}
