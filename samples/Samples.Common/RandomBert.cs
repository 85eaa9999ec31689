using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using TorchSharp;

namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// The text samples' base when no <c>--base-model</c> is given (they run offline, and no pretrained checkpoint ships with
/// them): a small randomly initialised BERT with the real bert-base-uncased WordPiece vocabulary from the shared data.
/// </summary>
public static class RandomBert
{
    private const int Layers = 4;
    private const int Hidden = 256;

    /// <summary>What <see cref="Create"/> builds, for the report.</summary>
    public static string Description => $"a randomly initialised {Layers}-layer × {Hidden} BERT (bert-base-uncased vocabulary)";

    /// <summary>The model (a template the trainer copies; the caller disposes it) and its tokenizer.</summary>
    /// <param name="maxSequenceLength">The longest input the model must take, special tokens included.</param>
    /// <param name="seed">Seeds the initial weights.</param>
    public static (BertForSequenceClassification Model, BertTextTokenizer Tokenizer) Create(int maxSequenceLength, int seed)
    {
        BertTextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(SharedData.Require("vocab/bert-base-uncased/vocab.txt"));
        var config = new BertConfig
        {
            VocabSize = tokenizer.VocabularySize,
            HiddenSize = Hidden,
            NumHiddenLayers = Layers,
            NumAttentionHeads = Hidden / 64,
            IntermediateSize = Hidden * 4,
            MaxPositionEmbeddings = maxSequenceLength,
        };
        using (torch.manual_seed(seed))
        {
            // Seeds torch's generator, which draws the initial weights.
        }

        return (new BertForSequenceClassification(config), tokenizer);
    }
}
