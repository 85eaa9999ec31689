using System.Text.Json;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Builds the network a text trainer fine-tunes: a BERT or RoBERTa sequence classifier with a head of the task's size,
/// from a checkpoint (folder, file or Hub id) or as a copy of an instance in memory, and its tokenizer.
/// </summary>
internal static class TextBaseModels
{
    private static readonly string[] RobertaTypes = ["roberta", "xlm-roberta", "camembert"];

    /// <summary>
    /// The network (with <paramref name="numLabels"/> outputs, labelled <paramref name="labelNames"/>), the tokenizer,
    /// and where the base model came from (null for a <see cref="PeftTextTrainerOptions.BaseModelInstance"/>).
    /// </summary>
    public static (nn.Module Network, TextTokenizer Tokenizer, BaseModelReference? Reference) Create(
        PeftTextTrainerOptions options, int numLabels, IReadOnlyList<string>? labelNames, bool regression, Action<string> log)
    {
        void Configure(BertConfig config) => SetLabels(config, numLabels, labelNames, regression);

        if (options.BaseModelInstance is { } template)
        {
            nn.Module copy = template switch
            {
                BertForSequenceClassification bert => Copy(bert, BertConfig.FromJson(bert.Config.ToJson()), Configure, c => new BertForSequenceClassification(c)),
                RobertaForSequenceClassification roberta => Copy(roberta, RobertaConfig.FromJson(roberta.Config.ToJson()), Configure, c => new RobertaForSequenceClassification(c)),
                _ => throw new ArgumentException(
                    $"BaseModelInstance is a {template.GetType().Name}; use a BertForSequenceClassification or RobertaForSequenceClassification.", nameof(options)),
            };
            return (copy, options.Tokenizer!, null);
        }

        string path = BaseModelResolver.Resolve(options.BaseModel!, options.BaseModelRevision, options.Hub);
        string configPath = PretrainedFolder.ConfigPath(path);
        string folder = Path.GetDirectoryName(configPath)!;
        bool isRoberta = RobertaTypes.Contains(ReadModelType(configPath));
        nn.Module network;
        using (ITensorSource checkpoint = CheckpointFiles.Open(path))
        {
            if (isRoberta)
            {
                RobertaConfig config = RobertaConfig.FromFile(configPath);
                Configure(config);
                network = RobertaForSequenceClassification.FromPretrained(config, FitHead(checkpoint, "classifier.out_proj.weight", numLabels, log));
            }
            else
            {
                BertConfig config = BertConfig.FromFile(configPath);
                Configure(config);
                network = BertForSequenceClassification.FromPretrained(config, FitHead(checkpoint, "classifier.weight", numLabels, log));
            }
        }

        try
        {
            TextTokenizer tokenizer = options.Tokenizer ?? (isRoberta ? RobertaTextTokenizer.FromPretrained(folder) : BertTextTokenizer.FromPretrained(folder));
            return (network, tokenizer, BaseModelReference.For(options.BaseModel!, options.BaseModelRevision, path));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The token limit: the requested one, or the tokenizer's capped by the model's position embeddings (RoBERTa numbers
    /// positions from the padding id, so it has that many fewer).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The requested length exceeds the model's positions.</exception>
    /// <exception cref="ArgumentException">The tokenizer produces ids the model's embedding has no row for.</exception>
    public static int MaxLength(int? requested, TextTokenizer tokenizer, nn.Module network)
    {
        BertConfig config = Config(network);
        int positions = network is RobertaForSequenceClassification
            ? config.MaxPositionEmbeddings - (config.PadTokenId ?? 1) - 1
            : config.MaxPositionEmbeddings;
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} token ids but the model's embedding has {config.VocabSize} rows; use the tokenizer the model was trained with.");
        }

        int length = requested ?? Math.Min(tokenizer.MaxLength, positions);
        return length <= positions
            ? length
            : throw new ArgumentOutOfRangeException(nameof(requested), requested, $"MaxSequenceLength {requested} exceeds the model's {positions} positions.");
    }

    /// <summary>
    /// The checkpoint as is when it has no head or a head of <paramref name="numLabels"/> outputs; otherwise without its
    /// head, which the model then creates afresh (a checkpoint fine-tuned for other labels is still a good base).
    /// </summary>
    private static ITensorSource FitHead(ITensorSource checkpoint, string headWeightKey, int numLabels, Action<string> log)
    {
        if (!checkpoint.Contains(headWeightKey) || checkpoint.GetShape(headWeightKey) is [long rows, _] && rows == numLabels)
        {
            return checkpoint;
        }

        log($"{checkpoint.Description}: its head '{headWeightKey}' has shape [{string.Join(", ", checkpoint.GetShape(headWeightKey))}]; " +
            $"a new head with {numLabels} outputs replaces it.");
        return new WithoutHeadTensorSource(checkpoint, BertStyleSequenceClassifier<BertConfig>.ClassifierName + ".");
    }

    private static BertConfig Config(nn.Module network) => network switch
    {
        BertForSequenceClassification bert => bert.Config,
        RobertaForSequenceClassification roberta => roberta.Config,
        _ => throw new ArgumentException($"{network.GetType().Name} is not a BERT or RoBERTa classifier."),
    };

    private static void SetLabels(BertConfig config, int numLabels, IReadOnlyList<string>? labelNames, bool regression)
    {
        config.NumLabels = numLabels;
        config.ProblemType = regression ? "regression" : "single_label_classification";
        if (labelNames is { } names && names.Count == numLabels && names.Distinct(StringComparer.Ordinal).Count() == numLabels)
        {
            config.Id2Label = Enumerable.Range(0, numLabels).ToDictionary(i => i, i => names[i]);
            config.Label2Id = Enumerable.Range(0, numLabels).ToDictionary(i => names[i], i => i, StringComparer.Ordinal);
        }
    }

    /// <summary>A new model for <paramref name="config"/> holding <paramref name="template"/>'s weights; the head too when its size is unchanged, else a fresh head.</summary>
    private static TModel Copy<TConfig, TModel>(nn.Module template, TConfig config, Action<BertConfig> configure, Func<TConfig, TModel> create)
        where TConfig : BertConfig
        where TModel : nn.Module
    {
        int templateLabels = config.NumLabels;
        configure(config);
        bool keepHead = templateLabels == config.NumLabels;
        string head = BertStyleSequenceClassifier<TConfig>.ClassifierName + ".";
        TModel model = create(config);
        try
        {
            using var source = new InMemoryTensorSource(template.state_dict(), "the BaseModelInstance");
            ModuleWeights.Load(model, source, new WeightLoadOptions
            {
                MapKey = keepHead ? null : key => key.StartsWith(head, StringComparison.Ordinal) ? null : key,
                MayBeMissing = keepHead ? null : key => key.StartsWith(head, StringComparison.Ordinal),
            });
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    private static string ReadModelType(string configPath)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(configPath));
            return document.RootElement.TryGetProperty("model_type", out JsonElement type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()!
                : "bert";
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e);
        }
    }
}
