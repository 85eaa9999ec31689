namespace Microsoft.ML.Peft.Training.Data;

/// <summary>A view of some rows of another data set, for example the training part of a held-out split.</summary>
internal sealed class DataSubset<TBatch> : ITrainingData<TBatch>
    where TBatch : ITrainingBatch
{
    private readonly ITrainingData<TBatch> _inner;
    private readonly int[] _rows;

    public DataSubset(ITrainingData<TBatch> inner, int[] rows)
    {
        _inner = inner;
        _rows = rows;
    }

    public int Count => _rows.Length;

    public bool HasLengths => _inner.HasLengths;

    public int GetLength(int index) => _inner.GetLength(_rows[index]);

    public string? ContentFingerprint => _inner.ContentFingerprint is { } inner
        ? new ContentFingerprint("subset").Add(inner).Add<int>(_rows).Finish()
        : null;

    // The inner data set sees its own row positions, so augmentation seeds follow the original rows.
    public TBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context) =>
        _inner.CreateBatch(indices.Select(i => _rows[i]).ToArray(), context);
}
