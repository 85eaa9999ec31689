using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Transforms;

/// <summary>
/// Estimator for <see cref="TextTokenizingTransformer"/>. Nothing is learned: <see cref="Fit"/> checks the input columns
/// and returns the transformer. Use <c>mlContext.Transforms.Text.TokenizeForTransformer(...)</c> to create one.
/// </summary>
public sealed class TextTokenizingEstimator : IEstimator<TextTokenizingTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly TextTokenizingMapping _mapping;

    internal TextTokenizingEstimator(IHostEnvironment environment, TextTokenizer tokenizer, string inputColumnName, string? secondInputColumnName, string outputColumnPrefix, int? maxLength)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        ArgumentNullException.ThrowIfNull(outputColumnPrefix);
        if (maxLength is < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must leave room for the special tokens (at least 2).");
        }

        _environment = environment;
        _mapping = new TextTokenizingMapping(tokenizer, inputColumnName, secondInputColumnName, outputColumnPrefix, maxLength);
    }

    /// <inheritdoc />
    public TextTokenizingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _mapping.GetOutputColumns(input.Schema); // validates the input columns now rather than at the first cursor
        return new TextTokenizingTransformer(_environment, _mapping);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        RequireText(inputSchema, _mapping.InputColumnName);
        if (_mapping.SecondInputColumnName is not null)
        {
            RequireText(inputSchema, _mapping.SecondInputColumnName);
        }

        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (string name in _mapping.OutputColumnNames)
        {
            columns[name] = SchemaShapeColumns.Create(name, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Int64, isKey: false);
        }

        return new SchemaShape(columns.Values);
    }

    private static void RequireText(SchemaShape schema, string name)
    {
        SchemaShape.Column column = schema.FirstOrDefault(c => c.Name == name);
        if (column.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' is not in the schema.");
        }

        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' must be a scalar String (text) column but is {column.Kind} of {column.ItemType}.");
        }
    }
}
