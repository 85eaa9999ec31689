using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// What a row-to-row transformer of ours computes, described without ML.NET's internal types: the output
/// columns it adds, which input columns they read, and a getter per output column. <see cref="RowMappingTransformer"/>
/// turns it into a full ML.NET transformer (Transform, GetOutputSchema, PredictionEngine support, saving).
/// </summary>
internal interface IRowMapping
{
    /// <summary>The columns added to <paramref name="inputSchema"/>; validates the input columns (name and type) and throws a specific exception when they do not fit.</summary>
    DataViewSchema.DetachedColumn[] GetOutputColumns(DataViewSchema inputSchema);

    /// <summary>Whether input column <paramref name="inputColumnIndex"/> is needed to compute the output columns for which <paramref name="isOutputActive"/> is true.</summary>
    bool IsInputNeeded(DataViewSchema inputSchema, int inputColumnIndex, Func<int, bool> isOutputActive);

    /// <summary>Creates the getter (a <c>ValueGetter&lt;T&gt;</c>) of output column <paramref name="outputIndex"/> over <paramref name="input"/>.</summary>
    Delegate MakeGetter(DataViewRow input, int outputIndex, out Action? disposer);

    /// <summary>Writes the mapping's parameters; the matching loader reads them back.</summary>
    void Save(ModelWriter writer);
}
