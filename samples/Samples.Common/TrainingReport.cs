using System.Globalization;
using Microsoft.ML.Peft.Training;

namespace Microsoft.ML.Peft.Samples;

/// <summary>Prints what a training run trained (parameters, trainable %, device, time) and its per-epoch table.</summary>
internal static class TrainingReport
{
    public static void Print(TrainingResult result, bool epochTableAlreadyLogged)
    {
        Console.WriteLine(
            $"Trained {result.TrainableParameterCount:N0} of {result.TotalParameterCount:N0} parameters ({result.TrainablePercent.ToString("F2", CultureInfo.InvariantCulture)} % trainable) " +
            $"on {result.Device} in {result.Elapsed.TotalSeconds:F0} s ({result.SamplesPerSecond:F1} rows/s).");
        if (result.BestEpoch is { } best)
        {
            Console.WriteLine($"Kept the weights of epoch {best} (lowest validation loss){(result.RestoredBestWeights ? ", restored after the last epoch" : "")}.");
        }

        if (epochTableAlreadyLogged)
        {
            return;
        }

        // The validation columns score the tenth of the training rows held out, not the test rows.
        Console.WriteLine($"{"epoch",5} {"train loss",10} {"val loss",9} {"val acc",8} {"val F1",7} {"elapsed",7}");
        foreach (EpochResult epoch in result.Epochs)
        {
            Console.WriteLine(
                $"{epoch.Epoch,5} {epoch.TrainingLoss,10:F4} {Number(epoch.Validation?.Loss),9} {Percent(epoch.Validation?.Accuracy),8} " +
                $"{Number(epoch.Validation?.MacroF1),7} {epoch.Elapsed.TotalSeconds,6:F0}s");
        }
    }

    private static string Number(double? value) => value?.ToString("F4", CultureInfo.InvariantCulture) ?? "-";

    private static string Percent(double? value) => value?.ToString("P1", CultureInfo.InvariantCulture) ?? "-";
}
