using Microsoft.ML.Peft.MLNetSeam;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The row mapping of a trained model: input columns in, score columns out. Row by row (a prediction engine, or any
/// consumer of <c>GetRowToRowMapper</c>) each row is scored alone, once for all output columns; <see cref="TransformInBatches"/>
/// gives the batched view that <c>Transform</c> returns.
/// </summary>
internal sealed class ScoringMapping<TInput> : IBatchedRowMapping
{
    // The getters of one row share its scores: ML.NET asks for each output column's getter separately.
    private readonly PerRowValues<float[]> _rows = new();
    private readonly Action<ModelWriter> _save;

    public ScoringMapping(IScoringInputs<TInput> inputs, ScoreOutputs outputs, IBatchScorer<TInput> scorer, int batchSize, Action<ModelWriter> save)
    {
        Inputs = inputs;
        Outputs = outputs;
        Scorer = scorer;
        BatchSize = batchSize;
        _save = save;
    }

    public IScoringInputs<TInput> Inputs { get; }

    public ScoreOutputs Outputs { get; }

    public IBatchScorer<TInput> Scorer { get; }

    /// <summary>The most rows of one forward pass of <see cref="TransformInBatches"/>.</summary>
    public int BatchSize { get; }

    public DataViewSchema.DetachedColumn[] GetOutputColumns(DataViewSchema inputSchema)
    {
        Inputs.Validate(inputSchema);
        return Outputs.Columns(inputSchema);
    }

    public bool IsInputNeeded(DataViewSchema inputSchema, int inputColumnIndex, Func<int, bool> isOutputActive)
    {
        if (!Enumerable.Range(0, Outputs.ColumnNames.Count).Any(isOutputActive))
        {
            return false;
        }

        string name = inputSchema[inputColumnIndex].Name;
        return Inputs.ColumnNames.Contains(name) && inputSchema.GetColumnOrNull(name)?.Index == inputColumnIndex;
    }

    public Delegate MakeGetter(DataViewRow input, int outputIndex, out Action? disposer)
    {
        disposer = null;
        Func<float[]> scores = _rows.For(input, row =>
        {
            Func<TInput> read = Inputs.CreateReader(row);
            return () => Scorer.Score([read()], batchSize: 1)[0];
        });
        return Outputs.MakeGetter(outputIndex, scores);
    }

    public void Save(ModelWriter writer) => _save(writer);

    /// <summary>The view <c>Transform</c> returns: <paramref name="input"/> with the score columns, computed a batch at a time.</summary>
    public IDataView TransformInBatches(IDataView input, DataViewSchema outputSchema) => new BatchedScoringDataView<TInput>(input, outputSchema, this);
}
