using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A fine-tuned text model (BERT or RoBERTa) in an ML.NET pipeline. Each row's text (or pair of texts) is tokenized
/// with the saved tokenizer and truncated to <see cref="MaxSequenceLength"/> tokens; rows of a batch are padded to the
/// batch's longest row. A missing or empty text is scored as the empty text (only the special tokens): it gets a
/// prediction like any other row.
/// </summary>
public abstract class PeftTextTransformer : PeftTransformer
{
    private protected PeftTextTransformer(IHostEnvironment environment, string registrationName, ModelVersion version, TextScoringParts parts, TrainingResult? trainingResult)
        : base(environment, registrationName, version, parts.CreateMapping(), parts.Model, parts.BatchSize, trainingResult)
    {
        Parts = parts;
    }

    /// <summary>The text column (the first text of a pair).</summary>
    public string TextColumnName => Parts.Inputs.TextColumnName;

    /// <summary>The second text column of sentence pairs, or null.</summary>
    public string? SecondTextColumnName => Parts.Inputs.SecondTextColumnName;

    /// <summary>The tokenizer the model was trained with.</summary>
    public ITextTokenizer Tokenizer => Parts.Tokenizer;

    /// <summary>The most tokens (special tokens included) a row is truncated to.</summary>
    public int MaxSequenceLength => Parts.MaxLength;

    internal TextScoringParts Parts { get; }
}
