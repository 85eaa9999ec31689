using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>A tiny BERT and a synthetic keyword task: label 1 when "good" occurs among filler words, 0 when "bad" does.</summary>
internal static class TinyText
{
    public static readonly string[] Fillers =
        ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "was", "is", "very", "quite", "and", "but", "it", "this"];

    private static readonly Lazy<BertTextTokenizer> SharedTokenizer = new(() =>
    {
        string vocab = string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad" }.Concat(Fillers));
        return BertTextTokenizer.FromVocab(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocab)));
    });

    public static BertTextTokenizer Tokenizer => SharedTokenizer.Value;

    public static (List<string> Texts, List<int> Labels) Rows(int count, int seed, int minWords = 3, int maxWords = 14)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        var labels = new List<int>();
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, random.Next(minWords, maxWords + 1)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            int label = random.Next(2);
            words.Insert(random.Next(words.Count + 1), label == 1 ? "good" : "bad");
            texts.Add(string.Join(' ', words));
            labels.Add(label);
        }

        return (texts, labels);
    }

    public static TextDataSet Data(int count, int seed)
    {
        (List<string> texts, List<int> labels) = Rows(count, seed);
        return TextDataSet.ForClassification(Tokenizer, texts, labels);
    }

    /// <summary>A randomly initialised BERT classifier; <paramref name="seed"/> fixes its initial weights.</summary>
    public static BertForSequenceClassification Bert(long seed, int hidden = 16, int layers = 1, double dropout = 0.0)
    {
        using (manual_seed(seed))
        {
        }

        return new BertForSequenceClassification(new BertConfig
        {
            VocabSize = Tokenizer.VocabularySize,
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

    /// <summary>Copies of the trainable parameters, by name.</summary>
    public static Dictionary<string, float[]> Trainable(nn.Module model) =>
        model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.detach().cpu().to(ScalarType.Float32).data<float>().ToArray());

    public static double MaxDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        return a.Max(pair => pair.Value.Zip(b[pair.Key], (x, y) => Math.Abs((double)x - y)).DefaultIfEmpty(0).Max());
    }
}

/// <summary>Reports on the calling thread, unlike <see cref="Progress{T}"/>, so tests see reports in order and at once.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>
/// Training tests that rely on torch's global random generator (model initialisation, dropout) or on the global
/// thread count: they run one at a time and never in parallel with other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalStateCollection
{
    public const string Name = "Torch global state";
}
