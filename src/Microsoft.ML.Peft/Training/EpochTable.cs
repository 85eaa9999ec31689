using System.Globalization;
using System.Text;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Training;

/// <summary>Formats the per-epoch metrics as a fixed-width text table for the log.</summary>
internal static class EpochTable
{
    public static string Format(IReadOnlyList<EpochResult> epochs, TaskKind kind)
    {
        var text = new StringBuilder();
        for (int i = 0; i < epochs.Count; i++)
        {
            text.AppendLine(FormatRow(epochs[i], kind, header: i == 0));
        }

        return text.ToString().TrimEnd();
    }

    public static string FormatRow(EpochResult epoch, TaskKind kind, bool header)
    {
        string[] names = kind == TaskKind.Classification
            ? ["epoch", "train_loss", "val_loss", "accuracy", "macro_f1", "lr", "steps", "time"]
            : ["epoch", "train_loss", "val_loss", "mae", "lr", "steps", "time"];
        string[] values = kind == TaskKind.Classification
            ? [Int(epoch.Epoch), Number(epoch.TrainingLoss), Number(epoch.Validation?.Loss), Number(epoch.Validation?.Accuracy), Number(epoch.Validation?.MacroF1), Rate(epoch.LearningRate), Int(epoch.Steps), Time(epoch.Elapsed)]
            : [Int(epoch.Epoch), Number(epoch.TrainingLoss), Number(epoch.Validation?.Loss), Number(epoch.Validation?.MeanAbsoluteError), Rate(epoch.LearningRate), Int(epoch.Steps), Time(epoch.Elapsed)];
        string row = string.Join("  ", values.Select(v => v.PadLeft(10)));
        return header ? string.Join("  ", names.Select(n => n.PadLeft(10))) + Environment.NewLine + row : row;
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Rate(double value) => value.ToString("0.00E+0", CultureInfo.InvariantCulture);

    private static string Time(TimeSpan value) => value.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + "s";
}
