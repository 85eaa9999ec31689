using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>Tokenized rows padded to the longest row of the batch, with their labels.</summary>
public sealed class TextBatch : ITrainingBatch
{
    internal TextBatch(TokenizedBatch tokens, int[] rowIndices, int[]? classLabels, float[]? targets)
    {
        Tokens = tokens;
        RowIndices = rowIndices;
        ClassLabels = classLabels;
        Targets = targets;
    }

    /// <summary>The padded token ids, attention mask and token types; <see cref="TokenizedBatch.ToTensors"/> makes tensors.</summary>
    public TokenizedBatch Tokens { get; }

    /// <inheritdoc />
    public int Count => Tokens.BatchSize;

    /// <inheritdoc />
    public IReadOnlyList<int> RowIndices { get; }

    /// <inheritdoc />
    public IReadOnlyList<int>? ClassLabels { get; }

    /// <inheritdoc />
    public IReadOnlyList<float>? Targets { get; }

    /// <summary>The number of real (non-padding) tokens.</summary>
    public long TokenCount => Tokens.Lengths.Sum(l => (long)l);

    /// <summary>The number of token positions including padding: rows × padded length.</summary>
    public long PaddedTokenCount => (long)Tokens.BatchSize * Tokens.SequenceLength;
}
