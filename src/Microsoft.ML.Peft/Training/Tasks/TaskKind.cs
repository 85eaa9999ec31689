namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>What a task predicts, which decides its loss and metrics.</summary>
public enum TaskKind
{
    /// <summary>One class per row: cross-entropy loss; accuracy and macro-F1.</summary>
    Classification,

    /// <summary>One real value per row: mean squared error loss; mean absolute error.</summary>
    Regression,
}
