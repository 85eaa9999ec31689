using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.ResNets;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>The model shapes the benchmark measures, all randomly initialised (their own initialisation).</summary>
internal static class BenchmarkModels
{
    public const string BertBase = "bert-base";
    public const string BertSmall = "bert-small";

    /// <summary>bert-base with every dropout probability 0: shows the step without libtorch's serial CPU dropout RNG.</summary>
    public const string BertBaseNoDropout = "bert-base-nodropout";
    public const string ResNet18 = "resnet18";
    public const string ResNet50 = "resnet50";

    public static readonly string[] All = [BertBase, BertBaseNoDropout, BertSmall, ResNet18, ResNet50];

    public static bool IsBert(string model) => model.StartsWith("bert", StringComparison.Ordinal);

    /// <summary>bert-base-uncased's shape (12 × 768, 12 heads, feed-forward 3072, vocabulary 30522), or the small 4 × 256 one.</summary>
    public static BertConfig BertConfigFor(string model, int numLabels, int? vocabSize = null)
    {
        var config = model switch
        {
            BertBase => new BertConfig(),
            BertBaseNoDropout => new BertConfig { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 },
            BertSmall => new BertConfig { HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024 },
            _ => throw new ArgumentException($"'{model}' is not a BERT shape; expected {BertBase}, {BertBaseNoDropout} or {BertSmall}.", nameof(model)),
        };
        config.NumLabels = numLabels;
        if (vocabSize is { } vocab)
        {
            config.VocabSize = vocab;
        }

        return config;
    }

    public static ResNet ResNetFor(string model, int numClasses) => model switch
    {
        ResNet18 => ResNet.ResNet18(numClasses),
        ResNet50 => ResNet.ResNet50(numClasses),
        _ => throw new ArgumentException($"'{model}' is not a ResNet; expected {ResNet18} or {ResNet50}.", nameof(model)),
    };

    /// <summary>Builds <paramref name="model"/> with weights drawn from torch's generator seeded with <paramref name="seed"/>.</summary>
    public static nn.Module Create(string model, int numClasses, long seed)
    {
        using (manual_seed(seed))
        {
        }

        return IsBert(model) ? new BertForSequenceClassification(BertConfigFor(model, numClasses)) : ResNetFor(model, numClasses);
    }
}
