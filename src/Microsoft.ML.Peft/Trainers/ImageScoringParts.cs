using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Vision;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Everything a trained image model needs to score and to save itself: the image column (and the folder relative paths
/// are resolved against), the evaluation preprocessing (resize, centre crop, normalization), the label classes, the
/// inference batch size and the network.
/// </summary>
internal sealed class ImageScoringParts
{
    private const int Layout = 1;

    public ImageScoringParts(ImageInputs inputs, ImagePreprocessingOptions preprocessing, int batchSize, ScoreOutputs outputs, InferenceModel model)
    {
        Inputs = inputs;
        Preprocessing = preprocessing;
        BatchSize = batchSize;
        Outputs = outputs;
        Model = model;
    }

    public ImageInputs Inputs { get; }

    public ImagePreprocessingOptions Preprocessing { get; }

    public int BatchSize { get; }

    public ScoreOutputs Outputs { get; }

    public InferenceModel Model { get; }

    public ScoringMapping<ImageInput> CreateMapping() =>
        new(Inputs, Outputs, new ImageBatchScorer(Model, new ImagePreprocessor(Preprocessing), Outputs), BatchSize, Save);

    public void Save(ModelWriter writer)
    {
        BinaryWriter w = writer.Writer;
        w.Write(Layout);
        writer.WriteString(Inputs.ImageColumnName);
        writer.WriteStringOrNull(Inputs.ImageFolder);
        w.Write(Preprocessing.ResizeShorterSide ?? -1);
        w.Write(Preprocessing.CropSize);
        WriteTriple(w, Preprocessing.Mean);
        WriteTriple(w, Preprocessing.Std);
        w.Write(BatchSize);
        Outputs.Classes!.Write(w);
        Model.Save(writer);
    }

    /// <exception cref="InvalidDataException">The stream is damaged or of another layout.</exception>
    public static ImageScoringParts Load(ModelReader reader)
    {
        BinaryReader r = reader.Reader;
        int layout = r.ReadInt32();
        if (layout != Layout)
        {
            throw new InvalidDataException($"The saved image model's layout {layout} is not supported (expected {Layout}).");
        }

        var inputs = new ImageInputs(reader.ReadString(), reader.ReadStringOrNull());
        int resize = r.ReadInt32();
        var preprocessing = new ImagePreprocessingOptions
        {
            ResizeShorterSide = resize < 0 ? null : resize,
            CropSize = r.ReadInt32(),
            Mean = ReadTriple(r),
            Std = ReadTriple(r),
        };
        int batchSize = r.ReadInt32();
        LabelClasses classes = LabelClasses.Read(r, "the saved image model");
        InferenceModel model = InferenceModel.Load(reader);
        return new ImageScoringParts(inputs, preprocessing, batchSize, new ScoreOutputs(PredictionKind.Multiclass, classes), model);
    }

    private static void WriteTriple(BinaryWriter writer, IReadOnlyList<float> values)
    {
        writer.Write(values.Count);
        foreach (float value in values)
        {
            writer.Write(value);
        }
    }

    private static float[] ReadTriple(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count is < 1 or > 4)
        {
            throw new InvalidDataException($"The saved image preprocessing has {count} channel values.");
        }

        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = reader.ReadSingle();
        }

        return values;
    }
}
