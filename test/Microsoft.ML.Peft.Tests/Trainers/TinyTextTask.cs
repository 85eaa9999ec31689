using Microsoft.ML.Data;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Tuners.Lora;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>
/// A synthetic three-class text task for the trainer tests: each row holds one keyword among filler words
/// ("great" → positive, "awful" → negative, "okay" → neutral), with a tiny random BERT and its vocabulary.
/// </summary>
internal static class TinyTextTask
{
    public static readonly string[] Classes = ["positive", "negative", "neutral"];

    private static readonly string[] Keywords = ["great", "awful", "okay"];

    private static readonly string[] Fillers = ["the", "a", "movie", "film", "plot", "was", "is", "very", "and", "it", "this", "story"];

    public static readonly BertTextTokenizer Tokenizer = BertTextTokenizer.FromVocab(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
        string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Keywords).Concat(Fillers)))));

    public sealed class Review
    {
        public string Text { get; set; } = "";

        public string Other { get; set; } = "";

        public string Sentiment { get; set; } = "";

        public bool IsPositive { get; set; }

        public float Rating { get; set; }
    }

    public sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        [VectorType]
        public float[] Score { get; set; } = [];
    }

    /// <summary>Rows of the task; <see cref="Review.Other"/> holds filler words only, <see cref="Review.Rating"/> is 1/−1/0.</summary>
    public static List<Review> Rows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Review>();
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(Classes.Length);
            var words = Enumerable.Range(0, random.Next(2, 9)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), Keywords[label]);
            rows.Add(new Review
            {
                Text = string.Join(' ', words),
                Other = string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Fillers[random.Next(Fillers.Length)])),
                Sentiment = Classes[label],
                IsPositive = label == 0,
                Rating = label switch { 0 => 1f, 1 => -1f, _ => 0f },
            });
        }

        return rows;
    }

    /// <summary>
    /// A tiny randomly initialised BERT classifier (hidden 32, one layer) whose weights depend only on <paramref name="seed"/>.
    /// Initialised with a larger spread than BERT's 0.02, so its random features are rich enough for a LoRA adapter to learn the task.
    /// </summary>
    public static BertForSequenceClassification Bert(long seed, int numLabels = 3)
    {
        using (manual_seed(seed))
        {
        }

        return new BertForSequenceClassification(new BertConfig
        {
            VocabSize = Tokenizer.VocabularySize,
            HiddenSize = 32,
            NumHiddenLayers = 1,
            NumAttentionHeads = 2,
            IntermediateSize = 64,
            InitializerRange = 0.2,
            MaxPositionEmbeddings = 32,
            HiddenDropoutProb = 0,
            AttentionProbsDropoutProb = 0,
            NumLabels = numLabels,
        });
    }

    /// <summary>
    /// Writes <see cref="Bert"/>(<paramref name="seed"/>, <paramref name="numLabels"/>) as a Hugging Face model folder
    /// (<c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c>) into <paramref name="folder"/>.
    /// </summary>
    public static void WriteBertFolder(string folder, long seed, int numLabels = 3)
    {
        Directory.CreateDirectory(folder);
        using (var pretrained = Bert(seed, numLabels))
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), pretrained.Config.ToJson());
            Microsoft.ML.Peft.Checkpoints.SafeTensors.Save(Path.Combine(folder, "model.safetensors"), pretrained.state_dict());
        }

        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), Enumerable.Range(0, Tokenizer.VocabularySize).Select(i => Tokenizer.MapIdToToken(i)!));
    }

    /// <summary>Options that train the tiny BERT quickly and well enough to learn the task.</summary>
    public static T Options<T>(BertForSequenceClassification baseModel, Action<T>? configure = null)
        where T : PeftTextTrainerOptions, new()
    {
        var options = new T
        {
            BaseModelInstance = baseModel,
            Tokenizer = Tokenizer,
            Epochs = 4,
            BatchSize = 16,
            LearningRate = 3e-2,
            Peft = new LoraConfig { R = 8, LoraAlpha = 16 },
            Seed = 7,
            Threads = 2,
            InferenceBatchSize = 8,
        };
        configure?.Invoke(options);
        return options;
    }
}
