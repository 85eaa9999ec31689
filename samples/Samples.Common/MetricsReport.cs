using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Samples;

/// <summary>Prints ML.NET's multiclass metrics of the test rows, with the confusion table (into a file when it is too wide to read).</summary>
internal static class MetricsReport
{
    private const int MaxClassesOnScreen = 12;

    public static void Print(MulticlassClassificationMetrics metrics, int testRows, int classes, string outputFolder)
    {
        Console.WriteLine($"Test set ({testRows} rows), mlContext.MulticlassClassification.Evaluate:");
        Console.WriteLine($"  micro accuracy     {metrics.MicroAccuracy:P2}");
        Console.WriteLine($"  macro accuracy     {metrics.MacroAccuracy:P2}");
        Console.WriteLine($"  log-loss           {metrics.LogLoss:F4}");
        Console.WriteLine($"  log-loss reduction {metrics.LogLossReduction:F4}   (0 = no better than always guessing the class frequencies)");
        Console.WriteLine($"  chance level       {1.0 / classes:P2}   (uniform guess over {classes} classes)");

        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        if (classes <= MaxClassesOnScreen)
        {
            Console.WriteLine(table);
            return;
        }

        string path = Path.Combine(outputFolder, "confusion-table.txt");
        File.WriteAllText(path, table);
        Console.WriteLine($"  confusion table ({classes} × {classes}) written to {path}");
    }
}
