using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Everything a trained text model needs to score and to save itself: the text columns, the tokenizer and maximum
/// length, the output kind (with the label classes of a multiclass model), the inference batch size and the network.
/// </summary>
internal sealed class TextScoringParts
{
    private const string TokenizerEntry = "Tokenizer.bin";
    private const int Layout = 1;

    public TextScoringParts(TextInputs inputs, TextTokenizer tokenizer, int maxLength, int batchSize, ScoreOutputs outputs, InferenceModel model)
    {
        Inputs = inputs;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        BatchSize = batchSize;
        Outputs = outputs;
        Model = model;
    }

    public TextInputs Inputs { get; }

    public TextTokenizer Tokenizer { get; }

    public int MaxLength { get; }

    public int BatchSize { get; }

    public ScoreOutputs Outputs { get; }

    public InferenceModel Model { get; }

    public ScoringMapping<TextInput> CreateMapping() =>
        new(Inputs, Outputs, new TextBatchScorer(Model, Tokenizer, MaxLength, Outputs), BatchSize, Save);

    public void Save(ModelWriter writer)
    {
        writer.Writer.Write(Layout);
        writer.Writer.Write((byte)Outputs.Kind);
        writer.WriteString(Inputs.TextColumnName);
        writer.WriteStringOrNull(Inputs.SecondTextColumnName);
        writer.Writer.Write(MaxLength);
        writer.Writer.Write(BatchSize);
        if (Outputs.Kind == PredictionKind.Multiclass)
        {
            Outputs.Classes!.Write(writer.Writer);
        }

        writer.WriteBinaryStream(TokenizerEntry, w => TokenizerPersistence.Write(w, Tokenizer));
        Model.Save(writer);
    }

    /// <exception cref="InvalidDataException">The stream was written for another kind of model, or is damaged.</exception>
    public static TextScoringParts Load(ModelReader reader, PredictionKind expected)
    {
        int layout = reader.Reader.ReadInt32();
        if (layout != Layout)
        {
            throw new InvalidDataException($"The saved text model's layout {layout} is not supported (expected {Layout}).");
        }

        var kind = (PredictionKind)reader.Reader.ReadByte();
        if (kind != expected)
        {
            throw new InvalidDataException($"The saved text model is a {kind} model, but its loader expects {expected}.");
        }

        var inputs = new TextInputs(reader.ReadString(), reader.ReadStringOrNull());
        int maxLength = reader.Reader.ReadInt32();
        int batchSize = reader.Reader.ReadInt32();
        LabelClasses? classes = kind == PredictionKind.Multiclass ? LabelClasses.Read(reader.Reader, "the saved text model") : null;
        TextTokenizer? tokenizer = null;
        if (!reader.TryReadBinaryStream(TokenizerEntry, r => tokenizer = TokenizerPersistence.Read(r, "the saved model's tokenizer")))
        {
            throw new InvalidDataException($"The saved text model has no '{TokenizerEntry}' entry.");
        }

        InferenceModel model = InferenceModel.Load(reader);
        return new TextScoringParts(inputs, tokenizer!, maxLength, batchSize, new ScoreOutputs(kind, classes), model);
    }
}
