using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Trainers;

namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// What every task sample does once it has its rows and its PEFT trainer: the ML.NET pipeline
/// <c>MapValueToKey → trainer → MapKeyToValue</c>, fitted on the training rows and evaluated on the test rows, then saved,
/// loaded back and used for predictions, and its adapter (if it has one) exported in Hugging Face PEFT's format.
/// </summary>
public static class ClassificationSample
{
    /// <summary>Runs the sample and prints its report; returns the process exit code.</summary>
    /// <param name="mlContext">The context the trainer was made from.</param>
    /// <param name="trainRows">The training rows (the trainer holds out a tenth of them for per-epoch validation).</param>
    /// <param name="testRows">The rows the reported metrics come from.</param>
    /// <param name="trainer">The PEFT trainer, reading <c>Label</c> (a key) and the row's input columns.</param>
    /// <param name="settings">The common flags.</param>
    /// <param name="baseDescription">What the base model is, for the report.</param>
    public static int Run<TRow>(
        MLContext mlContext, IReadOnlyList<TRow> trainRows, IReadOnlyList<TRow> testRows, IEstimator<PeftTransformer> trainer, SampleSettings settings, string baseDescription)
        where TRow : class, ILabelledRow, new()
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(settings.OutputFolder);
        FineTuningChoice method = settings.FineTuning;
        string[] classes = trainRows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        PrintPlan(settings, method, baseDescription, trainRows.Count, testRows.Count, classes);

        IDataView train = mlContext.Data.LoadFromEnumerable(trainRows);
        IDataView test = mlContext.Data.LoadFromEnumerable(testRows);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey(nameof(ILabelledRow.Label))
            .Append(trainer)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(ClassPrediction.ClassColumn, "PredictedLabel"));
        var model = pipeline.Fit(train);
        using PeftTransformer peft = model.OfType<PeftTransformer>().Single();
        TrainingReport.Print(peft.TrainingResult!, epochTableAlreadyLogged: settings.Verbose);

        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        MetricsReport.Print(metrics, testRows.Count, classes.Length, settings.OutputFolder);

        ModelRoundTrip.Run(mlContext, model, train.Schema, testRows, Path.Combine(settings.OutputFolder, "model.zip"));
        if (peft.HasAdapter)
        {
            string adapterFolder = Path.Combine(settings.OutputFolder, "adapter");
            peft.ExportAdapter(adapterFolder);
            long bytes = Directory.EnumerateFiles(adapterFolder).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"Exported the adapter (PEFT format: adapter_config.json + adapter_model.safetensors, {bytes / 1024.0:F0} KiB) to {adapterFolder}");
        }

        if (settings.RandomBase)
        {
            Console.WriteLine(
                $"These scores are those of a model trained from scratch on {trainRows.Count} rows, so expect them to be far below a pretrained " +
                "model's; fine-tune a pretrained one with --base-model for real results.");
        }

        Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F0} s.");
        return 0;
    }

    private static void PrintPlan(SampleSettings settings, FineTuningChoice method, string baseDescription, int trainCount, int testCount, string[] classes)
    {
        if (settings.RandomBase)
        {
            Console.WriteLine($"No --base-model: training {baseDescription} from scratch; pass a pretrained model for real fine-tuning.");
            if (method.Config is not null)
            {
                Console.WriteLine($"Note: --method {method.Name} trains only a small part of a model whose other weights are random and frozen; expect little.");
            }
        }
        else
        {
            Console.WriteLine($"Base model: {baseDescription}");
        }

        string shown = string.Join(", ", classes.Take(6)) + (classes.Length > 6 ? ", ..." : "");
        Console.WriteLine($"Method: {method.Description}");
        Console.WriteLine($"Rows: {trainCount} training rows (a tenth held out for per-epoch validation), {testCount} test rows, {classes.Length} classes ({shown})");
    }
}
