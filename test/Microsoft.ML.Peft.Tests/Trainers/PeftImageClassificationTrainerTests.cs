using Microsoft.ML.Data;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Tests.Vision;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Tuners.Lora;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>The image trainer: a tiny ResNet learns colours from image files, scores paths and bytes alike, and saves its preprocessing.</summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PeftImageClassificationTrainerTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly MLContext _mlContext = new(seed: 1);
    private readonly TemporaryFolder _folder = new();

    public PeftImageClassificationTrainerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _folder.Dispose();

    private sealed class ImageRow
    {
        public string Image { get; set; } = "";

        public string Colour { get; set; } = "";
    }

    private sealed class PictureRow
    {
        public string Picture { get; set; } = "";
    }

    private sealed class BytesRow
    {
        [VectorType]
        public byte[] Image { get; set; } = [];
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        [VectorType]
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void ATinyResNetLearnsColoursFromFilesAndScoresBytesAsItScoresPaths()
    {
        List<ImageRow> rows = WriteImages(72, seed: 5);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        using ResNet baseModel = TinyImageTask.ResNet();
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftImageClassification(Options(baseModel)))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedColour", "PredictedLabel"));

        var model = pipeline.Fit(data);
        IDataView test = _mlContext.Data.LoadFromEnumerable(WriteImages(30, seed: 6, prefix: "test"));
        IDataView scored = model.Transform(test);
        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored);

        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        _output.WriteLine(table);
        Assert.True(metrics.MacroAccuracy > 0.9, table);
        Assert.All(TinyImageTask.Colours, c => Assert.Contains(c, table));
        using PeftImageClassificationTransformer classifier = model.OfType<PeftImageClassificationTransformer>().Single();
        Assert.True(classifier.HasAdapter);
        Assert.Equal(3, classifier.ClassCount);
        Assert.Equal(24, classifier.Preprocessing.CropSize);
        Assert.Contains(classifier.TrainingResult!.Epochs, e => e.Validation is null);

        // The same model takes encoded bytes in the image column (as LoadRawImageBytes gives them) and scores them alike.
        IDataView paths = _mlContext.Data.LoadFromEnumerable(rows.Take(12).Select(r => new ImageRow { Image = r.Image }));
        IDataView bytes = _mlContext.Data.LoadFromEnumerable(rows.Take(12).Select(r => new BytesRow { Image = File.ReadAllBytes(_folder.File(r.Image)) }));
        float[][] fromPaths = classifier.Transform(paths).GetColumn<float[]>("Score").ToArray();
        float[][] fromBytes = classifier.Transform(bytes).GetColumn<float[]>("Score").ToArray();
        Assert.Equal(fromPaths, fromBytes);
    }

    [Fact]
    public void AnImageColumnFromLoadImagesTrainsAndScoresAsThePathsItWasLoadedFrom()
    {
        List<ImageRow> rows = WriteImages(48, seed: 8);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        using ResNet baseModel = TinyImageTask.ResNet();
        var loadImages = _mlContext.Transforms.LoadImages("Picture", _folder.Path, nameof(ImageRow.Image));
        var pipeline = loadImages
            .Append(_mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour)))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftImageClassification(Options(baseModel, o => { o.ImageColumnName = "Picture"; o.Epochs = 2; })));

        var model = pipeline.Fit(data);
        using PeftImageClassificationTransformer classifier = model.LastTransformer;
        Assert.Equal(2, classifier.TrainingResult!.Epochs.Count);
        Assert.True(classifier.HasAdapter);

        // The MLImage column scores exactly as the files it was loaded from (PNG in, lossless PNG handed on).
        IDataView images = loadImages.Fit(data).Transform(data);
        IDataView paths = _mlContext.Data.LoadFromEnumerable(rows.Select(r => new PictureRow { Picture = r.Image }));
        Assert.Equal(
            classifier.Transform(paths).GetColumn<float[]>("Score").ToArray(),
            classifier.Transform(images).GetColumn<float[]>("Score").ToArray());
    }

    [SkippableFact]
    public void RealFlowerPhotosLoadedWithLoadImagesGoThroughTheWholePipeline()
    {
        string root = SharedData.Require("images/flower_photos_small_set");
        string[] flowers = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order().ToArray();
        var rows = flowers.SelectMany(f => Directory.GetFiles(Path.Combine(root, f), "*.jpg").Order().Take(16)
            .Select(file => new ImageRow { Image = Path.GetRelativePath(root, file), Colour = f })).ToList();
        IDataView data = _mlContext.Data.ShuffleRows(_mlContext.Data.LoadFromEnumerable(rows), seed: 3);
        var split = _mlContext.Data.TrainTestSplit(data, testFraction: 0.25, seed: 3);
        using ResNet baseModel = TinyImageTask.ResNet(); // its 10-class head is replaced by one for the 5 flowers
        var pipeline = _mlContext.Transforms.LoadImages("Picture", root, nameof(ImageRow.Image))
            .Append(_mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour)))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftImageClassification(TinyImageTask.Options(baseModel, configure: o =>
            {
                o.ImageColumnName = "Picture";
                o.Epochs = 2;
            })))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedFlower", "PredictedLabel"));

        var model = pipeline.Fit(split.TrainSet);
        IDataView scored = model.Transform(split.TestSet);
        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored);

        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        _output.WriteLine(table);
        Assert.All(flowers, f => Assert.Contains(f, table));
        string[] predicted = scored.GetColumn<string>("PredictedFlower").ToArray();
        Assert.Equal(metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()), predicted.Length);
        Assert.All(predicted, p => Assert.Contains(p, flowers));
        model.OfType<PeftImageClassificationTransformer>().Single().Dispose();
    }

    [Fact]
    public void SavedModelLoadsInASeparateProcessWithItsPreprocessingAndIdenticalRows()
    {
        List<ImageRow> rows = WriteImages(24, seed: 7);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour)).Fit(data).Transform(data);
        using ResNet baseModel = TinyImageTask.ResNet();
        using PeftImageClassificationTransformer model = _mlContext.MulticlassClassification.Trainers
            .PeftImageClassification(Options(baseModel, o => { o.Epochs = 1; o.MergeAdapter = false; }))
            .Fit(keyed);
        string modelPath = _folder.File("images.zip");
        _mlContext.Model.Save(model, keyed.Schema, modelPath);
        string inputs = _folder.File("inputs.tsv");
        File.WriteAllLines(inputs, new[] { "Image" }.Concat(rows.Select(r => r.Image)));
        Prediction[] expected = _mlContext.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).ToArray();

        // Relative paths: the probe runs in another folder, so the image folder saved in the model must resolve them.
        ModelLoadProbe.Result result = ModelLoadProbe.Run(modelPath, inputs, "Score", "PredictedLabel");

        Assert.Equal(typeof(PeftImageClassificationTransformer).FullName, result.TransformerType);
        Assert.Equal(expected.Length, result.Rows.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Score, result.Rows[i].GetProperty("Score").EnumerateArray().Select(e => e.GetSingle()));
            Assert.Equal(expected[i].PredictedLabel, result.Rows[i].GetProperty("PredictedLabel").GetUInt32());
        }

        using var loaded = Assert.IsType<PeftImageClassificationTransformer>(_mlContext.Model.Load(modelPath, out _));
        Assert.Equal((28, 24), (loaded.Preprocessing.ResizeShorterSide, loaded.Preprocessing.CropSize));
        Assert.Equal(_folder.Path, loaded.ImageFolder);
        Assert.False(loaded.IsAdapterMerged);
        loaded.ExportAdapter(_folder.File("adapter"));
        Assert.Contains("layer", File.ReadAllText(_folder.File("adapter/adapter_config.json")));
    }

    [Fact]
    public void BadImageColumnsAndUnreadableImagesNameTheColumnOrTheImage()
    {
        List<ImageRow> rows = WriteImages(6, seed: 8);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour)).Fit(data).Transform(data);
        using ResNet baseModel = TinyImageTask.ResNet();
        var wrongColumn = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _mlContext.MulticlassClassification.Trainers.PeftImageClassification(Options(baseModel, o => o.ImageColumnName = "Label")).Fit(keyed));
        Assert.Contains("'Label'", wrongColumn.Message);
        Assert.Contains("Byte", wrongColumn.Message);
        var notKey = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _mlContext.MulticlassClassification.Trainers.PeftImageClassification(Options(baseModel, o => o.LabelColumnName = nameof(ImageRow.Colour))).Fit(keyed));
        Assert.Contains("'Colour'", notKey.Message);

        using PeftImageClassificationTransformer model = _mlContext.MulticlassClassification.Trainers
            .PeftImageClassification(Options(baseModel, o => o.Epochs = 1)).Fit(keyed);
        IDataView missing = _mlContext.Data.LoadFromEnumerable(new[] { new ImageRow { Image = "no-such-image.png" } });
        var notFound = Assert.Throws<FileNotFoundException>(() => model.Transform(missing).GetColumn<uint>("PredictedLabel").ToArray());
        Assert.Contains("no-such-image.png", notFound.Message);
        IDataView garbage = _mlContext.Data.LoadFromEnumerable(new[] { new BytesRow { Image = [1, 2, 3] } });
        Assert.Throws<ImageDecodeException>(() => model.Transform(garbage).GetColumn<uint>("PredictedLabel").ToArray());
    }

    private PeftImageClassificationTrainer.Options Options(ResNet baseModel, Action<PeftImageClassificationTrainer.Options>? configure = null) =>
        TinyImageTask.Options(baseModel, _folder.Path, configure);

    /// <summary>The task's images written as PNG files into the test folder.</summary>
    private List<ImageRow> WriteImages(int count, int seed, string prefix = "image") =>
        TinyImageTask.Images(count, seed).Select((image, i) =>
        {
            string name = $"{prefix}-{i}.png";
            File.WriteAllBytes(_folder.File(name), image.Png);
            return new ImageRow { Image = name, Colour = image.Colour };
        }).ToList();
}
