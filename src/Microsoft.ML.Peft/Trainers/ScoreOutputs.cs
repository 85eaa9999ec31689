using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The output columns of a trained model, named, typed and annotated as ML.NET's built-in trainers of the same kind
/// name, type and annotate theirs, and how the model's raw outputs become their values:
/// <list type="bullet">
/// <item>multiclass: <c>PredictedLabel</c>, a key of the label's cardinality carrying the label's <c>KeyValues</c>, and
/// <c>Score</c>, the softmax probabilities with the class names as <c>SlotNames</c>;</item>
/// <item>binary: <c>PredictedLabel</c> (Score &gt; 0), <c>Score</c> (the logit margin, logit₁ − logit₀) and
/// <c>Probability</c> (its sigmoid, the softmax probability of the positive class);</item>
/// <item>regression: <c>Score</c>, the model's output.</item>
/// </list>
/// </summary>
internal sealed class ScoreOutputs
{
    /// <summary>The score column's name (ML.NET's default).</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>The predicted label column's name (ML.NET's default).</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>The probability column's name (ML.NET's default).</summary>
    public const string ProbabilityColumnName = "Probability";

    public ScoreOutputs(PredictionKind kind, LabelClasses? classes)
    {
        if (kind == PredictionKind.Multiclass && classes is null)
        {
            throw new ArgumentNullException(nameof(classes), "A multiclass model needs its label classes.");
        }

        Kind = kind;
        Classes = classes;
    }

    public PredictionKind Kind { get; }

    /// <summary>The classes of a multiclass model; null otherwise.</summary>
    public LabelClasses? Classes { get; }

    /// <summary>The number of logits the network produces: the class count, 2 for binary, 1 for regression.</summary>
    public int NetworkOutputs => Kind switch
    {
        PredictionKind.Multiclass => Classes!.Count,
        PredictionKind.Binary => 2,
        _ => 1,
    };

    /// <summary>The number of values per row <see cref="ToScores"/> keeps.</summary>
    public int ScoresPerRow => Kind == PredictionKind.Multiclass ? Classes!.Count : 1;

    public IReadOnlyList<string> ColumnNames => Kind switch
    {
        PredictionKind.Multiclass => [PredictedLabelColumnName, ScoreColumnName],
        PredictionKind.Binary => [PredictedLabelColumnName, ScoreColumnName, ProbabilityColumnName],
        _ => [ScoreColumnName],
    };

    /// <summary>The output columns over <paramref name="inputSchema"/> (their score-column-set id follows any already there).</summary>
    public DataViewSchema.DetachedColumn[] Columns(DataViewSchema inputSchema)
    {
        uint setId = ScoreColumnAnnotations.NextScoreColumnSetId(inputSchema);
        switch (Kind)
        {
            case PredictionKind.Multiclass:
                LabelClasses classes = Classes!;
                const string kind = ScoreColumnAnnotations.MulticlassClassification;
                return
                [
                    new(PredictedLabelColumnName, new KeyDataViewType(typeof(uint), classes.Count),
                        ScoreColumnAnnotations.Create(setId, kind, ScoreColumnAnnotations.PredictedLabelValue, addMore: b => classes.AddValues(b, ScoreColumnAnnotations.KeyValues))),
                    new(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, classes.Count),
                        ScoreColumnAnnotations.Create(setId, kind, ScoreColumnAnnotations.ScoreValue, addMore: b =>
                        {
                            classes.AddValues(b, ScoreColumnAnnotations.TrainingLabelValues);
                            classes.AddSlotNames(b);
                        })),
                ];
            case PredictionKind.Binary:
                const string binary = ScoreColumnAnnotations.BinaryClassification;
                return
                [
                    new(PredictedLabelColumnName, BooleanDataViewType.Instance, ScoreColumnAnnotations.Create(setId, binary, ScoreColumnAnnotations.PredictedLabelValue)),
                    new(ScoreColumnName, NumberDataViewType.Single, ScoreColumnAnnotations.Create(setId, binary, ScoreColumnAnnotations.ScoreValue)),
                    new(ProbabilityColumnName, NumberDataViewType.Single, ScoreColumnAnnotations.Create(setId, binary, ScoreColumnAnnotations.ProbabilityValue, isNormalized: true)),
                ];
            default:
                return [new(ScoreColumnName, NumberDataViewType.Single, ScoreColumnAnnotations.Create(setId, ScoreColumnAnnotations.Regression, ScoreColumnAnnotations.ScoreValue))];
        }
    }

    /// <summary>The output column shapes of <paramref name="kind"/> for an estimator's <c>GetOutputSchema</c>; <paramref name="labelValuesType"/> is the label's key value type, if any.</summary>
    public static IEnumerable<SchemaShape.Column> Shapes(PredictionKind kind, DataViewType? labelValuesType)
    {
        switch (kind)
        {
            case PredictionKind.Multiclass:
                yield return SchemaShapeColumns.Create(PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true,
                    ScoreColumnAnnotations.Shape(keyValuesItemType: labelValuesType));
                yield return SchemaShapeColumns.Create(ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false,
                    ScoreColumnAnnotations.Shape(slotNames: labelValuesType is TextDataViewType, trainingLabelValuesItemType: labelValuesType));
                break;
            case PredictionKind.Binary:
                yield return SchemaShapeColumns.Create(PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, isKey: false, ScoreColumnAnnotations.Shape());
                yield return SchemaShapeColumns.Create(ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false, ScoreColumnAnnotations.Shape());
                yield return SchemaShapeColumns.Create(ProbabilityColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false,
                    ScoreColumnAnnotations.Shape(isNormalized: true));
                break;
            default:
                yield return SchemaShapeColumns.Create(ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false, ScoreColumnAnnotations.Shape());
                break;
        }
    }

    /// <summary>
    /// Turns the network's output [B, <see cref="NetworkOutputs"/>] into the kept scores [B, <see cref="ScoresPerRow"/>]
    /// (float32): softmax probabilities, the binary margin, or the regression value.
    /// </summary>
    public Tensor ToScores(Tensor networkOutput)
    {
        Tensor logits = networkOutput.to(ScalarType.Float32);
        long rows = logits.shape[0];
        if (logits.dim() != 2 || logits.shape[1] != NetworkOutputs)
        {
            throw new InvalidOperationException(
                $"The model produced outputs of shape [{string.Join(", ", logits.shape)}]; expected [{rows}, {NetworkOutputs}].");
        }

        return Kind switch
        {
            PredictionKind.Multiclass => logits.softmax(1),
            PredictionKind.Binary => (logits[.., 1] - logits[.., 0]).reshape(rows, 1),
            _ => logits,
        };
    }

    /// <summary>The getter of output column <paramref name="outputIndex"/> (in <see cref="ColumnNames"/> order) over the current row's scores.</summary>
    public Delegate MakeGetter(int outputIndex, Func<float[]> rowScores)
    {
        string name = ColumnNames[outputIndex];
        switch (Kind, name)
        {
            case (PredictionKind.Multiclass, PredictedLabelColumnName):
                return (ValueGetter<uint>)((ref uint value) => value = ArgMaxKey(rowScores()));
            case (PredictionKind.Multiclass, ScoreColumnName):
                return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    float[] scores = rowScores();
                    var editor = VBufferEditor.Create(ref value, scores.Length);
                    scores.AsSpan().CopyTo(editor.Values);
                    value = editor.Commit();
                });
            case (PredictionKind.Binary, PredictedLabelColumnName):
                return (ValueGetter<bool>)((ref bool value) => value = rowScores()[0] > 0);
            case (PredictionKind.Binary, ProbabilityColumnName):
                return (ValueGetter<float>)((ref float value) => value = Sigmoid(rowScores()[0]));
            default:
                return (ValueGetter<float>)((ref float value) => value = rowScores()[0]);
        }
    }

    /// <summary>The key (1-based) of the largest score; 0 (missing) when every score is NaN. Ties go to the first class.</summary>
    internal static uint ArgMaxKey(float[] scores)
    {
        int best = -1;
        for (int i = 0; i < scores.Length; i++)
        {
            if (!float.IsNaN(scores[i]) && (best < 0 || scores[i] > scores[best]))
            {
                best = i;
            }
        }

        return (uint)(best + 1);
    }

    private static float Sigmoid(float margin) => 1f / (1f + MathF.Exp(-margin));
}
