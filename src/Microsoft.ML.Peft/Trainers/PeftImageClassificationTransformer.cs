using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Vision;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A fine-tuned multiclass image classifier (a ResNet), made by <see cref="PeftImageClassificationTrainer"/>. Each row's
/// image (a file path, or encoded bytes from <c>LoadRawImageBytes</c>) is decoded and preprocessed as in evaluation
/// (resize, centre crop, normalize, with the saved settings). It adds the columns of ML.NET's multiclass trainers:
/// <c>PredictedLabel</c> (a key carrying the label's key values) and <c>Score</c> (the probability of each class, with the
/// class names as slot names). An image that cannot be read or decoded fails the cursor with an exception naming it.
/// </summary>
public sealed class PeftImageClassificationTransformer : PeftTransformer
{
    internal const string LoaderSignature = "PeftImageMulticlass"; // ML.NET allows at most 23 characters

    internal static readonly ModelVersion Version = new(
        ModelSignature: "PEFTIMMC",
        VersionWritten: PeftTransformerVersions.Current,
        VersionReadable: PeftTransformerVersions.Current,
        VersionWeCanReadBack: PeftTransformerVersions.OldestReadable,
        LoaderSignature: LoaderSignature,
        LoaderType: typeof(PeftImageClassificationTransformer));

    private readonly ImageScoringParts _parts;

    internal PeftImageClassificationTransformer(IHostEnvironment environment, ImageScoringParts parts, TrainingResult? trainingResult)
        : base(environment, nameof(PeftImageClassificationTransformer), Version, parts.CreateMapping(), parts.Model, parts.BatchSize, trainingResult)
    {
        _parts = parts;
    }

    /// <summary>The image column: text paths or encoded image bytes.</summary>
    public string ImageColumnName => _parts.Inputs.ImageColumnName;

    /// <summary>The folder relative image paths are resolved against, or null.</summary>
    public string? ImageFolder => _parts.Inputs.ImageFolder;

    /// <summary>The preprocessing applied before the network (a copy).</summary>
    public ImagePreprocessingOptions Preprocessing => _parts.Preprocessing.Clone();

    /// <summary>The number of classes (the cardinality of the training label's key type).</summary>
    public int ClassCount => _parts.Outputs.Classes!.Count;

    /// <summary>The class of each score slot: the training label's key values as text, or "0", "1", … when the key had none.</summary>
    public IReadOnlyList<string> ClassNames => _parts.Outputs.Classes!.Names;

    internal static PeftImageClassificationTransformer Load(IHostEnvironment environment, ModelReader reader) =>
        new(environment, ImageScoringParts.Load(reader), trainingResult: null);
}
