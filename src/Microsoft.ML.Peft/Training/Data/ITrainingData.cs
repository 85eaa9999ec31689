namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// A data set the training loop can batch: a fixed number of rows, optionally a length per row (for length
/// bucketing), and a way to build a batch from row positions.
/// </summary>
/// <typeparam name="TBatch">The batch type the task consumes.</typeparam>
/// <remarks>
/// <see cref="CreateBatch"/> is called from data-loader worker threads, several at a time: it must be thread-safe and
/// its result must depend only on its arguments (use <see cref="BatchContext.SampleSeed"/> for any randomness). It
/// should produce managed data only; tensors are made on the training thread inside the step's dispose scope.
/// </remarks>
public interface ITrainingData<out TBatch>
    where TBatch : ITrainingBatch
{
    /// <summary>The number of rows.</summary>
    int Count { get; }

    /// <summary>Whether <see cref="GetLength"/> gives meaningful lengths (token counts); false for images.</summary>
    bool HasLengths { get; }

    /// <summary>The length of row <paramref name="index"/> (its token count), used to group rows of similar length.</summary>
    int GetLength(int index);

    /// <summary>Builds the batch of rows <paramref name="indices"/> (positions in this data set), in that order.</summary>
    TBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context);

    /// <summary>
    /// A digest of every row and label, which checkpoints record so that a resumed run must see the same data; null
    /// (the default) when the data set cannot tell, and then only the row count is compared.
    /// </summary>
    string? ContentFingerprint => null;
}
