using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// The annotations ML.NET's scorers put on their output columns (<c>ScoreColumnKind</c>, <c>ScoreValueKind</c>,
/// <c>ScoreColumnSetId</c>, <c>SlotNames</c>, <c>KeyValues</c>, …), under ML.NET's own names, so that evaluators,
/// <c>MapKeyToValue</c> and cross-validation treat our trainers' outputs as they treat the built-in ones.
/// </summary>
internal static class ScoreColumnAnnotations
{
    /// <summary>The annotation naming the slots of a vector (the class names of a multiclass score).</summary>
    public const string SlotNames = AnnotationUtils.Kinds.SlotNames;

    /// <summary>The annotation holding the value of each key (the class of each predicted label).</summary>
    public const string KeyValues = AnnotationUtils.Kinds.KeyValues;

    /// <summary>The annotation holding the label values a multiclass score was trained on.</summary>
    public const string TrainingLabelValues = AnnotationUtils.Kinds.TrainingLabelValues;

    /// <summary>The <c>ScoreColumnKind</c> of multiclass classifiers.</summary>
    public const string MulticlassClassification = AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification;

    /// <summary>The <c>ScoreColumnKind</c> of binary classifiers.</summary>
    public const string BinaryClassification = AnnotationUtils.Const.ScoreColumnKind.BinaryClassification;

    /// <summary>The <c>ScoreColumnKind</c> of regressors.</summary>
    public const string Regression = AnnotationUtils.Const.ScoreColumnKind.Regression;

    /// <summary>The <c>ScoreValueKind</c> of a score column.</summary>
    public const string ScoreValue = AnnotationUtils.Const.ScoreValueKind.Score;

    /// <summary>The <c>ScoreValueKind</c> of a predicted-label column.</summary>
    public const string PredictedLabelValue = AnnotationUtils.Const.ScoreValueKind.PredictedLabel;

    /// <summary>The <c>ScoreValueKind</c> of a probability column.</summary>
    public const string ProbabilityValue = AnnotationUtils.Const.ScoreValueKind.Probability;

    /// <summary>
    /// The score-column-set id for new score columns over <paramref name="inputSchema"/>: one more than the largest
    /// id already there, as ML.NET's scorers number theirs (so a second model's scores do not shadow the first's set).
    /// </summary>
    public static uint NextScoreColumnSetId(DataViewSchema inputSchema) =>
        inputSchema.GetMaxAnnotationKind(out _, AnnotationUtils.Kinds.ScoreColumnSetId) + 1;

    /// <summary>
    /// The annotations of one scorer output column: its set id, <paramref name="columnKind"/>, <paramref name="valueKind"/>,
    /// <c>IsNormalized</c> when <paramref name="isNormalized"/> (probabilities), and whatever <paramref name="addMore"/> adds.
    /// </summary>
    public static DataViewSchema.Annotations Create(
        uint scoreColumnSetId, string columnKind, string valueKind, bool isNormalized = false, Action<DataViewSchema.Annotations.Builder>? addMore = null)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        addMore?.Invoke(builder);
        builder.Add(AnnotationUtils.Kinds.ScoreColumnSetId, AnnotationUtils.ScoreColumnSetIdType, (ref uint value) => value = scoreColumnSetId);
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = columnKind.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        if (isNormalized)
        {
            builder.Add(AnnotationUtils.Kinds.IsNormalized, BooleanDataViewType.Instance, (ref bool value) => value = true);
        }

        return builder.ToAnnotations();
    }

    /// <summary>
    /// The annotation shapes of one scorer output column for an estimator's <c>GetOutputSchema</c>: the score annotations,
    /// plus <c>IsNormalized</c>, <c>SlotNames</c>, <c>KeyValues</c> (of <paramref name="keyValuesItemType"/>) and
    /// <c>TrainingLabelValues</c> (of <paramref name="trainingLabelValuesItemType"/>) as asked.
    /// </summary>
    public static SchemaShape Shape(
        bool isNormalized = false, bool slotNames = false, DataViewType? keyValuesItemType = null, DataViewType? trainingLabelValuesItemType = null)
    {
        var columns = new List<SchemaShape.Column>
        {
            SchemaShapeColumns.Create(AnnotationUtils.Kinds.ScoreColumnSetId, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true),
            SchemaShapeColumns.Create(AnnotationUtils.Kinds.ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false),
            SchemaShapeColumns.Create(AnnotationUtils.Kinds.ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false),
        };
        if (isNormalized)
        {
            columns.Add(SchemaShapeColumns.Create(AnnotationUtils.Kinds.IsNormalized, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, isKey: false));
        }

        if (slotNames)
        {
            columns.Add(SchemaShapeColumns.Create(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, isKey: false));
        }

        if (keyValuesItemType is not null)
        {
            columns.Add(SchemaShapeColumns.Create(AnnotationUtils.Kinds.KeyValues, SchemaShape.Column.VectorKind.Vector, keyValuesItemType, isKey: false));
        }

        if (trainingLabelValuesItemType is not null)
        {
            columns.Add(SchemaShapeColumns.Create(AnnotationUtils.Kinds.TrainingLabelValues, SchemaShape.Column.VectorKind.Vector, trainingLabelValuesItemType, isKey: false));
        }

        return new SchemaShape(columns);
    }
}
