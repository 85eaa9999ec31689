using System.Diagnostics;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using TorchSharp;

namespace Microsoft.ML.Peft.Samples.QuickStart;

/// <summary>
/// Builds the quick start's base model: a small BERT trained fully from scratch on the source task (topic and opinion word) and saved
/// as a Hugging Face folder (config.json, model.safetensors, vocab.txt) — exactly what a user would bring.
/// </summary>
internal static class BaseModelBuilder
{
    public static string Build(string folder, int rows, int epochs, int seed, Action<string> trainingLog)
    {
        Directory.CreateDirectory(folder);
        string vocabPath = Path.Combine(folder, "vocab.txt");
        File.WriteAllLines(vocabPath, new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(SyntheticReviews.Words));
        BertTextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(vocabPath);

        var config = new BertConfig
        {
            VocabSize = tokenizer.VocabularySize,
            HiddenSize = 128,
            NumHiddenLayers = 4,
            NumAttentionHeads = 4,
            IntermediateSize = 256,
            MaxPositionEmbeddings = 64,
            HiddenDropoutProb = 0.1,
            AttentionProbsDropoutProb = 0.1,
            Id2Label = SyntheticReviews.SourceClasses.Select((t, i) => (t, i)).ToDictionary(p => p.i, p => p.t),
        };

        torch.manual_seed(seed);
        using var model = new BertForSequenceClassification(config);
        List<SyntheticReviews.Review> source = SyntheticReviews.Generate(rows, seed, negationRate: 0);
        TextDataSet data = TextDataSet.ForClassification(
            tokenizer, source.Select(r => r.Text).ToList(), source.Select(r => r.SourceClass).ToList());
        var watch = Stopwatch.StartNew();
        TrainingResult result = new TrainingLoop(new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = 32,
            LearningRate = 1e-3,
            WarmupRatio = 0.1,
            ValidationFraction = 0.1,
            Seed = seed,
            Log = trainingLog,
        }).Fit(model, TrainingTasks.SequenceClassification(), data);
        Console.WriteLine($"Base model trained on the source task (topic and opinion word) in {watch.Elapsed.TotalSeconds:F0} s: validation accuracy {result.Epochs[^1].Validation?.Accuracy:P1}.");

        // Saved like a pretrained base on the Hub: the encoder (bert.*) without the source task's head.
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        SafeTensors.Save(
            Path.Combine(folder, CheckpointFiles.SingleFileName),
            model.state_dict().Where(kv => kv.Key.StartsWith("bert.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value));
        return folder;
    }
}
