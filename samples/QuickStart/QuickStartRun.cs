using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Tuners.Baselines;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft.Samples.QuickStart;

/// <summary>Steps 2-3 of the quick start: adapt a base model through ML.NET with several methods and compare them.</summary>
internal static class QuickStartRun
{
    public sealed record Settings(string? BaseModel, string? DataPath, string TextColumn, string LabelColumn, string OutputFolder, int Epochs, bool Verbose);

    // The share of target-task reviews whose opinion word is negated: what the base model has never seen.
    private const double TargetNegationRate = 0.4;

    private sealed record Row(string Text, string Label);

    private sealed record Method(string Name, PeftConfig? Config, double LearningRate);

    public static int Run(Settings settings)
    {
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(settings.OutputFolder);
        var mlContext = new MLContext(seed: 1);

        string baseModel = settings.BaseModel ?? BuildEmbeddedBase(settings.OutputFolder, settings.Verbose);
        (IDataView train, IDataView test) = LoadData(mlContext, settings);

        Method[] methods =
        [
            new("head-only", new HeadOnlyConfig(), 1e-2),
            // LoRA on every linear layer of the encoder (PEFT's "all-linear" choice): on a model this small, q and v
            // alone leave a few points on the table.
            new("LoRA r=8", new LoraConfig { R = 8, LoraAlpha = 16, TargetModules = ["query", "key", "value", "dense"] }, 2e-3),
            new("full fine-tuning", null, 3e-4),
        ];

        Console.WriteLine();
        Console.WriteLine($"{"method",-18} {"accuracy",9} {"macro acc",10} {"trainable",10} {"of model",9} {"adapter",10} {"seconds",8}");
        string? loraModelPath = null;
        foreach (Method method in methods)
        {
            var watch = Stopwatch.StartNew();
            var trainer = mlContext.MulticlassClassification.Trainers.PeftTextClassification(new PeftTextClassificationTrainer.Options
            {
                BaseModel = baseModel,
                LabelColumnName = "Label",
                TextColumnName = settings.TextColumn,
                Peft = method.Config,
                Epochs = settings.Epochs,
                BatchSize = 32,
                LearningRate = method.LearningRate,
                Seed = 7,
                Log = settings.Verbose ? Console.WriteLine : null,

                // The LoRA model is saved with a reference to the base model (checked by its SHA-256 at load) instead of its weights.
                BaseModelStorage = method.Config is LoraConfig ? BaseModelStorage.Reference : BaseModelStorage.Embedded,
            });
            var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", settings.LabelColumn)
                .Append(trainer)
                .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"));
            var model = pipeline.Fit(train);
            MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
            double seconds = watch.Elapsed.TotalSeconds;

            var peftTransformer = model.OfType<PeftTextClassificationTransformer>().Single();
            TrainingResult training = peftTransformer.TrainingResult!;
            string adapterSize = "-";
            if (peftTransformer.HasAdapter)
            {
                string adapterFolder = Path.Combine(settings.OutputFolder, "adapter-" + method.Name.Split(' ')[0]);
                peftTransformer.ExportAdapter(adapterFolder);
                adapterSize = $"{new FileInfo(Path.Combine(adapterFolder, "adapter_model.safetensors")).Length / 1024.0:F0} KiB";
            }

            Console.WriteLine($"{method.Name,-18} {metrics.MicroAccuracy,9:P1} {metrics.MacroAccuracy,10:P1} {training.TrainableParameterCount,10:N0} {training.TrainablePercent / 100,9:P2} {adapterSize,10} {seconds,8:F0}");

            if (method.Config is LoraConfig)
            {
                loraModelPath = Path.Combine(settings.OutputFolder, "lora-model.zip");
                mlContext.Model.Save(model, train.Schema, loraModelPath);
                CheckReload(mlContext, model, loraModelPath, test);
                long baseBytes = BaseWeightsBytes(baseModel);
                Console.WriteLine($"{"",-18} saved with a reference to the base model: {new FileInfo(loraModelPath).Length / 1024.0:F0} KiB" +
                    (baseBytes > 0 ? $" (the base's weights alone are {baseBytes / 1024.0:F0} KiB)" : ""));
            }
        }

        Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s. The LoRA pipeline is saved at {loraModelPath}.");
        return 0;
    }

    private static string BuildEmbeddedBase(string outputFolder, bool verbose)
    {
        string folder = Path.Combine(outputFolder, "base-model");
        if (File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            Console.WriteLine($"Using the base model built earlier in {folder}.");
            return folder;
        }

        Console.WriteLine("Building the base model: a 4-layer BERT trained from scratch on the source task (review topic and opinion word)...");
        return BaseModelBuilder.Build(folder, rows: 4000, epochs: 4, seed: 1, trainingLog: verbose ? Console.WriteLine : _ => { });
    }

    private static (IDataView Train, IDataView Test) LoadData(MLContext mlContext, Settings settings)
    {
        if (settings.DataPath is null)
        {
            // The target task: the opinion of reviews generated apart from the base model's source rows.
            IDataView train = mlContext.Data.LoadFromEnumerable(SyntheticReviews.Generate(2000, seed: 2, negationRate: TargetNegationRate).Select(r => new Row(r.Text, r.Opinion)));
            IDataView test = mlContext.Data.LoadFromEnumerable(SyntheticReviews.Generate(600, seed: 3, negationRate: TargetNegationRate).Select(r => new Row(r.Text, r.Opinion)));
            return (train, test);
        }

        string[] header = File.ReadLines(settings.DataPath).First().Split('\t');
        var loader = mlContext.Data.CreateTextLoader(
            header.Select((name, i) => new TextLoader.Column(name, DataKind.String, i)).ToArray(),
            separatorChar: '\t', hasHeader: true, allowQuoting: false);
        var split = mlContext.Data.TrainTestSplit(loader.Load(settings.DataPath), testFraction: 0.2, seed: 1);
        return (split.TrainSet, split.TestSet);
    }

    private static void CheckReload(MLContext mlContext, ITransformer model, string path, IDataView test)
    {
        ITransformer loaded = mlContext.Model.Load(path, out _);
        float[][] before = Scores(model.Transform(test));
        float[][] after = Scores(loaded.Transform(test));
        bool identical = before.Length == after.Length && before.Zip(after).All(p => p.First.SequenceEqual(p.Second));
        Console.WriteLine($"{"",-18} saved and reloaded with mlContext.Model.Save/Load: predictions {(identical ? "identical" : "DIFFER")}");
    }

    /// <summary>The size of a local base model's safetensors files; 0 for a Hub id.</summary>
    private static long BaseWeightsBytes(string baseModel) =>
        File.Exists(baseModel)
            ? new FileInfo(baseModel).Length
            : Directory.Exists(baseModel) ? Directory.GetFiles(baseModel, "*.safetensors").Sum(f => new FileInfo(f).Length) : 0;

    private static float[][] Scores(IDataView data) =>
        data.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
}
