namespace Microsoft.ML.Peft.Training.Data;

/// <summary>A batch of rows as the training loop sees it: its size, which rows it holds, and their labels.</summary>
public interface ITrainingBatch
{
    /// <summary>The number of rows.</summary>
    int Count { get; }

    /// <summary>The positions, in the data set it came from, of the rows of this batch, in batch order.</summary>
    IReadOnlyList<int> RowIndices { get; }

    /// <summary>The class index of each row, for classification; otherwise null.</summary>
    IReadOnlyList<int>? ClassLabels { get; }

    /// <summary>The target value of each row, for regression; otherwise null.</summary>
    IReadOnlyList<float>? Targets { get; }
}
