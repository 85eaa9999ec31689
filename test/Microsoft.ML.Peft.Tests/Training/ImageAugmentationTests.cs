using Microsoft.ML.Peft.Tests.Vision;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;

namespace Microsoft.ML.Peft.Tests.Training;

public class ImageAugmentationTests
{
    private static readonly ImageAugmentationOptions Options = new()
    {
        Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = 20, CropSize = 16 },
    };

    [Fact]
    public void CropBoxesStayInsideAndFollowScaleAndRatio()
    {
        var areas = new List<double>();
        for (ulong seed = 0; seed < 500; seed++)
        {
            var box = RandomResizedCrop.SampleBox(80, 100, (0.08, 1.0), (3.0 / 4, 4.0 / 3), new SeededRandom(seed));
            Assert.InRange(box.Top, 0, 80 - box.Height);
            Assert.InRange(box.Left, 0, 100 - box.Width);
            double area = (double)box.Width * box.Height / (80 * 100);
            double ratio = (double)box.Width / box.Height;

            // Rounding width and height to whole pixels moves area and ratio a little off the sampled values.
            Assert.InRange(area, 0.06, 1.0);
            Assert.InRange(ratio, 0.7, 1.45);
            areas.Add(area);
        }

        Assert.True(areas.Min() < 0.2 && areas.Max() > 0.8, $"areas span [{areas.Min()}, {areas.Max()}]");
    }

    [Fact]
    public void ImpossibleRatiosFallBackToACentreCrop()
    {
        // A 1000×10 strip admits no crop with ratio ≤ 4/3 and area ≥ 8%: torchvision then centre-crops at the widest ratio.
        var box = RandomResizedCrop.SampleBox(10, 1000, (0.08, 1.0), (3.0 / 4, 4.0 / 3), new SeededRandom(3));
        Assert.Equal(new RandomResizedCrop.CropBox(Top: 0, Left: 493, Height: 10, Width: 13), box);
    }

    [Fact]
    public void WholeImageCropWithCertainFlipMirrorsTheResizedImage()
    {
        byte[] png = SyntheticImages.Png(32, 32, SyntheticImages.Distinct);
        var options = new ImageAugmentationOptions
        {
            Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = 16, CropSize = 16 },
            Scale = (1.0, 1.0),
            Ratio = (1.0, 1.0),
            HorizontalFlipProbability = 1.0,
        };
        ImageDataSet data = ImageDataSet.ForClassification([png], [0], options);
        float[] flipped = data.CreateBatch([0], new BatchContext(1, 0, Training: true)).Pixels.ToArray();
        float[] plain = new ImagePreprocessor(options.Evaluation).Preprocess(png);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 16; y++)
            {
                for (int x = 0; x < 16; x++)
                {
                    Assert.Equal(plain[(c * 256) + (y * 16) + x], flipped[(c * 256) + (y * 16) + (15 - x)]);
                }
            }
        }
    }

    [Fact]
    public void AugmentedBatchesDoNotDependOnWorkerThreads()
    {
        byte[][] images = Enumerable.Range(0, 12).Select(i => SyntheticImages.Png(40 + i, 30, (x, y) => new SKColor((byte)(x * 6), (byte)(y * 8), (byte)(i * 20)))).ToArray();
        ImageDataSet data = ImageDataSet.ForClassification(images, Enumerable.Range(0, 12).Select(i => i % 3).ToArray(), Options);
        int[][] plan = EpochPlan.ForTraining(12, 3, seed: 9, epoch: 0, shuffle: true, lengthOf: null, bucketWindowBatches: 0);

        float[][] Batches(int workers, int epoch, bool training)
        {
            using var prefetcher = new BatchPrefetcher<ImageBatch>(data, plan, 0, new BatchContext(9, epoch, training), workers, capacity: 2);
            return plan.Select(_ => prefetcher.Take().Pixels.ToArray()).ToArray();
        }

        float[][] inline = Batches(workers: 0, epoch: 0, training: true);
        Assert.Equal(inline, Batches(workers: 3, epoch: 0, training: true));
        Assert.Equal(inline, Batches(workers: 2, epoch: 0, training: true));
        Assert.NotEqual(inline, Batches(workers: 3, epoch: 1, training: true));

        // Evaluation batches are the deterministic resize + centre crop of ImagePreprocessor.
        float[][] evaluation = Batches(workers: 3, epoch: 0, training: false);
        var preprocessor = new ImagePreprocessor(Options.Evaluation);
        Assert.Equal(plan[0].SelectMany(i => preprocessor.Preprocess(images[i])), evaluation[0]);
        Assert.Equal(3 * 3 * 16 * 16, inline[0].Length);
    }

    [Fact]
    public void InvalidOptionsAndMissingFilesAreReported()
    {
        Assert.Throws<ArgumentException>(() => ImageDataSet.ForClassification([SyntheticImages.Png(4, 4, SyntheticImages.Distinct)], [0], new ImageAugmentationOptions { Scale = (0.5, 0.2) }));
        Assert.Contains("nowhere.png", Assert.Throws<FileNotFoundException>(() => ImageDataSet.ForClassification(["/nowhere.png"], [0])).Message);
    }
}
