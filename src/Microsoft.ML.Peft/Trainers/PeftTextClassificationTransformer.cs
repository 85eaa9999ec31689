using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A fine-tuned multiclass text classifier, made by <see cref="PeftTextClassificationTrainer"/>. It adds the columns of
/// ML.NET's multiclass trainers: <c>PredictedLabel</c>, a key of the training label's cardinality that carries the
/// label's key values (so <c>MapKeyToValue</c> gives the class names), and <c>Score</c>, the probability of each class
/// (softmax), with the class names as slot names. <c>mlContext.MulticlassClassification.Evaluate</c> reads both.
/// </summary>
public sealed class PeftTextClassificationTransformer : PeftTextTransformer
{
    internal const string LoaderSignature = "PeftTextMulticlass"; // ML.NET allows at most 23 characters

    internal static readonly ModelVersion Version = new(
        ModelSignature: "PEFTTXMC",
        VersionWritten: PeftTransformerVersions.Current,
        VersionReadable: PeftTransformerVersions.Current,
        VersionWeCanReadBack: PeftTransformerVersions.OldestReadable,
        LoaderSignature: LoaderSignature,
        LoaderType: typeof(PeftTextClassificationTransformer));

    internal PeftTextClassificationTransformer(IHostEnvironment environment, TextScoringParts parts, TrainingResult? trainingResult)
        : base(environment, nameof(PeftTextClassificationTransformer), Version, parts, trainingResult)
    {
    }

    /// <summary>The number of classes (the cardinality of the training label's key type).</summary>
    public int ClassCount => Parts.Outputs.Classes!.Count;

    /// <summary>The class of each score slot: the training label's key values as text, or "0", "1", … when the key had none.</summary>
    public IReadOnlyList<string> ClassNames => Parts.Outputs.Classes!.Names;

    internal static PeftTextClassificationTransformer Load(IHostEnvironment environment, ModelReader reader) =>
        new(environment, TextScoringParts.Load(reader, PredictionKind.Multiclass), trainingResult: null);
}
