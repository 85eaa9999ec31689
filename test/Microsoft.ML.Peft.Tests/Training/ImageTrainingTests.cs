using Microsoft.ML;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Tests.Vision;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class ImageTrainingTests
{
    [Fact]
    public void AHeadOnlyResNetLearnsColoursFromImageFilesInADataView()
    {
        using var folder = new TemporaryFolder();
        var random = new Random(5);
        var rows = new List<ImageRow>();
        for (int i = 0; i < 64; i++)
        {
            bool red = i % 2 == 0;
            string name = $"image-{i}.png";
            File.WriteAllBytes(folder.File(name), SyntheticImages.Png(32, 28 + (i % 5), (x, y) =>
            {
                byte strong = (byte)random.Next(150, 256);
                byte weak = (byte)random.Next(0, 100);
                return red ? new SKColor(strong, weak, weak) : new SKColor(weak, weak, strong);
            }));
            rows.Add(new ImageRow { ImagePath = name, Colour = red ? "red" : "blue" });
        }

        var mlContext = new MLContext(seed: 1);
        IDataView raw = mlContext.Data.LoadFromEnumerable(rows);
        IDataView keyed = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour)).Fit(raw).Transform(raw);
        var augmentation = new ImageAugmentationOptions { Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = 28, CropSize = 24 } };
        ImageDataSet data = ImageDataSet.FromDataView(keyed, nameof(ImageRow.ImagePath), "Label", options: augmentation, imageFolder: folder.Path);
        Assert.Equal(2, data.ClassCount);
        Assert.Equal(24, data.ImageSize);

        using (manual_seed(2))
        {
        }

        using var model = new ResNet(new ResNetConfig { StemWidth = 4, StageWidths = [4, 8], BlocksPerStage = [1, 1], NumClasses = 2 });
        foreach ((string name, var parameter) in model.named_parameters())
        {
            parameter.requires_grad = name.StartsWith("fc.", StringComparison.Ordinal);
        }

        var options = new TrainingOptions
        {
            Epochs = 6,
            BatchSize = 8,
            LearningRate = 3e-2,
            ValidationFraction = 0.25,
            DataLoaderWorkers = 2,
            Threads = 1,
        };
        TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.ImageClassification(), data);
        Assert.Equal(2 + (8 * 2), result.TrainableParameterCount);
        Assert.True(result.BestMetric is not null && result.Epochs.Max(e => e.Validation!.Accuracy) > 0.9,
            string.Join("; ", result.Epochs.Select(e => $"loss {e.TrainingLoss:F3} accuracy {e.Validation!.Accuracy:F3}")));
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";

        public string Colour { get; set; } = "";
    }
}
