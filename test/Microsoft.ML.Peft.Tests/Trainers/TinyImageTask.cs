using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Vision;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Tuners.Lora;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>
/// A synthetic three-class image task for the trainer tests: noisy single-colour images (red, green, blue) of
/// 32 × 28…32 pixels, with a tiny random ResNet.
/// </summary>
internal static class TinyImageTask
{
    public static readonly string[] Colours = ["red", "green", "blue"];

    /// <summary>One generated image: PNG bytes and its colour.</summary>
    public sealed record Image(byte[] Png, string Colour);

    /// <summary><paramref name="count"/> images from <paramref name="seed"/>, the colours in turn.</summary>
    public static IEnumerable<Image> Images(int count, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int colour = i % Colours.Length;
            byte[] png = SyntheticImages.Png(32, 28 + (i % 5), (x, y) =>
            {
                byte strong = (byte)random.Next(150, 256);
                byte weak = (byte)random.Next(0, 100);
                return colour switch
                {
                    0 => new SKColor(strong, weak, weak),
                    1 => new SKColor(weak, strong, weak),
                    _ => new SKColor(weak, weak, strong),
                };
            });
            yield return new Image(png, Colours[colour]);
        }
    }

    /// <summary>A tiny randomly initialised ResNet (stem 4, stages 4 and 8, one basic block each) whose weights depend only on <paramref name="seed"/>.</summary>
    public static ResNet ResNet(long seed = 2)
    {
        using (manual_seed(seed))
        {
        }

        return new ResNet(new ResNetConfig { StemWidth = 4, StageWidths = [4, 8], BlocksPerStage = [1, 1], NumClasses = 10 });
    }

    /// <summary>Options that train the tiny ResNet quickly on 24 × 24 crops and well enough to learn the task.</summary>
    public static PeftImageClassificationTrainer.Options Options(ResNet baseModel, string? imageFolder = null, Action<PeftImageClassificationTrainer.Options>? configure = null)
    {
        var options = new PeftImageClassificationTrainer.Options
        {
            BaseModelInstance = baseModel,
            ImageFolder = imageFolder,
            Augmentation = new ImageAugmentationOptions { Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = 28, CropSize = 24 } },
            Peft = new LoraConfig { R = 4, LoraAlpha = 8 },
            Epochs = 5,
            BatchSize = 8,
            LearningRate = 3e-2,
            Seed = 2,
            Threads = 2,
            InferenceBatchSize = 8,
        };
        configure?.Invoke(options);
        return options;
    }
}
