using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The label types the trainers accept, as ML.NET's trainers of each kind: a key for multiclass (make one with
/// <c>MapValueToKey</c>), Boolean for binary, Single for regression. Errors name the column and the expected type.
/// </summary>
internal static class LabelColumns
{
    /// <summary>The label column of <paramref name="schema"/>, checked for <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or of the wrong type.</exception>
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, PredictionKind kind)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{name}' is not in the data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        bool fits = kind switch
        {
            PredictionKind.Multiclass => column.Type is KeyDataViewType { Count: > 0 and <= int.MaxValue },
            PredictionKind.Binary => column.Type is BooleanDataViewType,
            _ => column.Type == NumberDataViewType.Single,
        };
        return fits ? column : throw Mismatch(name, kind, column.Type.ToString() ?? column.Type.GetType().Name);
    }

    /// <summary>
    /// The label column of a validation set, checked for <paramref name="kind"/> and, for multiclass, against the
    /// training label's classes: a validation set keyed by a separately fitted <c>MapValueToKey</c> numbers the same
    /// classes differently, and its metrics, best epoch and early stopping would then be computed on wrong labels.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing, of the wrong type, or has other classes.</exception>
    public static DataViewSchema.Column RequireValidation(DataViewSchema validationSchema, DataViewSchema.Column trainingLabel, PredictionKind kind)
    {
        DataViewSchema.Column column = Require(validationSchema, trainingLabel.Name, kind);
        if (kind != PredictionKind.Multiclass)
        {
            return column;
        }

        IReadOnlyList<string> training = LabelClasses.FromKeyColumn(trainingLabel).Names;
        IReadOnlyList<string> validation = LabelClasses.FromKeyColumn(column).Names;
        if (!training.SequenceEqual(validation, StringComparer.Ordinal))
        {
            throw new ArgumentOutOfRangeException(
                nameof(validationSchema),
                $"The validation set's label column '{column.Name}' has the classes [{string.Join(", ", validation)}] but the training data's has " +
                $"[{string.Join(", ", training)}] (in key order); key the validation set with the MapValueToKey transformer fitted on the training data.");
        }

        return column;
    }

    /// <summary>Checks the label column of an estimator's input shape; returns the item type of its key values (multiclass), if any.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or of the wrong type.</exception>
    public static DataViewType? Require(SchemaShape schema, string name, PredictionKind kind)
    {
        SchemaShape.Column column = Find(schema, name);
        if (column.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{name}' is not in the data (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        }

        bool scalar = column.Kind == SchemaShape.Column.VectorKind.Scalar;
        bool fits = kind switch
        {
            PredictionKind.Multiclass => scalar && column.IsKey,
            PredictionKind.Binary => scalar && column.ItemType is BooleanDataViewType,
            _ => scalar && !column.IsKey && column.ItemType == NumberDataViewType.Single,
        };
        if (!fits)
        {
            throw Mismatch(name, kind, $"{column.Kind} of {column.ItemType}{(column.IsKey ? " (key)" : string.Empty)}");
        }

        SchemaShape.Column values = column.Annotations is null ? default : Find(column.Annotations, MLNetSeam.ScoreColumnAnnotations.KeyValues);
        return kind == PredictionKind.Multiclass && values.Name is not null ? values.ItemType : null;
    }

    /// <summary>Checks a text column of an estimator's input shape.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or not a scalar text column.</exception>
    public static void RequireText(SchemaShape schema, string name, string role)
    {
        SchemaShape.Column column = Find(schema, name);
        if (column.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' is not in the data (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        }

        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' must be of type String (text) but is {column.Kind} of {column.ItemType}.");
        }
    }

    // The last column of that name: a later column shadows an earlier one, as in a data view.
    private static SchemaShape.Column Find(SchemaShape schema, string name) => schema.LastOrDefault(c => c.Name == name);

    private static ArgumentOutOfRangeException Mismatch(string name, PredictionKind kind, string actual) => new(
        "inputSchema",
        kind switch
        {
            PredictionKind.Multiclass => $"Label column '{name}' must be a key type (map the labels to keys first, with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\")) but is {actual}.",
            PredictionKind.Binary => $"Label column '{name}' must be of type Boolean but is {actual}.",
            _ => $"Label column '{name}' must be of type Single (float) but is {actual}.",
        });
}
