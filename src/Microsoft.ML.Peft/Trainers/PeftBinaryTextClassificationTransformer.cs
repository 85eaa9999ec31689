using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A fine-tuned binary text classifier, made by <see cref="PeftBinaryTextClassificationTrainer"/>. It adds the columns of
/// ML.NET's calibrated binary trainers: <c>Score</c>, the margin logit(true) − logit(false); <c>Probability</c>, its
/// sigmoid (the softmax probability of true); and <c>PredictedLabel</c>, Score &gt; 0.
/// <c>mlContext.BinaryClassification.Evaluate</c> reads them.
/// </summary>
public sealed class PeftBinaryTextClassificationTransformer : PeftTextTransformer
{
    internal const string LoaderSignature = "PeftTextBinary"; // ML.NET allows at most 23 characters

    internal static readonly ModelVersion Version = new(
        ModelSignature: "PEFTTXBC",
        VersionWritten: PeftTransformerVersions.Current,
        VersionReadable: PeftTransformerVersions.Current,
        VersionWeCanReadBack: PeftTransformerVersions.OldestReadable,
        LoaderSignature: LoaderSignature,
        LoaderType: typeof(PeftBinaryTextClassificationTransformer));

    internal PeftBinaryTextClassificationTransformer(IHostEnvironment environment, TextScoringParts parts, TrainingResult? trainingResult)
        : base(environment, nameof(PeftBinaryTextClassificationTransformer), Version, parts, trainingResult)
    {
    }

    internal static PeftBinaryTextClassificationTransformer Load(IHostEnvironment environment, ModelReader reader) =>
        new(environment, TextScoringParts.Load(reader, PredictionKind.Binary), trainingResult: null);
}
