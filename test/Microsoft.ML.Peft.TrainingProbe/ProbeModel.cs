using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.TrainingProbe;

/// <summary>A tiny BERT and a synthetic keyword task, rebuilt identically in every probe process.</summary>
internal static class ProbeModel
{
    private static readonly string[] Fillers = ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "was", "is", "very", "quite", "and", "but", "it", "this"];

    public static BertTextTokenizer Tokenizer()
    {
        string vocab = string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad" }.Concat(Fillers));
        return BertTextTokenizer.FromVocab(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocab)));
    }

    /// <summary>Rows of 3–14 filler words with "good" (label 1) or "bad" (label 0) somewhere among them.</summary>
    public static TextDataSet Data(BertTextTokenizer tokenizer, int rows, int seed)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        var labels = new List<int>();
        for (int i = 0; i < rows; i++)
        {
            var words = Enumerable.Range(0, random.Next(3, 15)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            int label = random.Next(2);
            words.Insert(random.Next(words.Count + 1), label == 1 ? "good" : "bad");
            texts.Add(string.Join(' ', words));
            labels.Add(label);
        }

        return TextDataSet.ForClassification(tokenizer, texts, labels);
    }

    public static BertForSequenceClassification Bert(int vocabSize, int hidden, int layers, double dropout, long seed)
    {
        using (manual_seed(seed))
        {
        }

        return new BertForSequenceClassification(new BertConfig
        {
            VocabSize = vocabSize,
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = 4,
            IntermediateSize = hidden * 2,
            MaxPositionEmbeddings = 64,
            HiddenDropoutProb = dropout,
            AttentionProbsDropoutProb = dropout,
            NumLabels = 2,
        });
    }
}
