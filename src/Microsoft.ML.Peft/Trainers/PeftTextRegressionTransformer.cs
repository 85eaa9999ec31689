using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A fine-tuned text regressor, made by <see cref="PeftTextRegressionTrainer"/>. It adds the column of ML.NET's
/// regression trainers: <c>Score</c>, the predicted value. <c>mlContext.Regression.Evaluate</c> reads it.
/// </summary>
public sealed class PeftTextRegressionTransformer : PeftTextTransformer
{
    internal const string LoaderSignature = "PeftTextRegression"; // ML.NET allows at most 23 characters

    internal static readonly ModelVersion Version = new(
        ModelSignature: "PEFTTXRG",
        VersionWritten: PeftTransformerVersions.Current,
        VersionReadable: PeftTransformerVersions.Current,
        VersionWeCanReadBack: PeftTransformerVersions.OldestReadable,
        LoaderSignature: LoaderSignature,
        LoaderType: typeof(PeftTextRegressionTransformer));

    internal PeftTextRegressionTransformer(IHostEnvironment environment, TextScoringParts parts, TrainingResult? trainingResult)
        : base(environment, nameof(PeftTextRegressionTransformer), Version, parts, trainingResult)
    {
    }

    internal static PeftTextRegressionTransformer Load(IHostEnvironment environment, ModelReader reader) =>
        new(environment, TextScoringParts.Load(reader, PredictionKind.Regression), trainingResult: null);
}
