using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>Settings of the transfer runs; <see cref="Quick"/> is the few-minute version.</summary>
internal sealed record TransferSettings(
    int TextLayers, int TextHidden, int SourceEpochs, int TargetEpochs, int MaxLength, int? TargetTrainRows, bool Sentiment, int ImageSourceEpochs, int ImageTargetEpochs, int Threads)
{
    /// <summary>When set, the bf16 runs are recorded with this status instead of being run.</summary>
    public string? Bf16SkipReason { get; init; }

    public static TransferSettings Quick(int threads) => new(2, 128, 4, 8, 64, 2000, Sentiment: false, ImageSourceEpochs: 8, ImageTargetEpochs: 8, threads);

    public static TransferSettings Full(int threads) => new(4, 256, 5, 8, 64, null, Sentiment: true, ImageSourceEpochs: 15, ImageTargetEpochs: 15, threads);
}

/// <summary>
/// The PEFT story on real data: a model trained from scratch on a source task is adapted to a different target task
/// with full fine-tuning, LoRA, Houlsby adapters and head-only training, each from the same source weights,
/// and scored on a held-out split of the target data.
/// </summary>
internal static class TransferBenchmark
{
    private const long Seed = 42;
    private static readonly string[] TextLoraTargets = ["query", "value", "word_embeddings"];
    private static Action<string>? s_log;

    public static void Run(TransferSettings settings, JsonArray output, Action<string> log)
    {
        s_log = log;
        Guarded(output, "text", "banking77 → sms spam / sentiment", "all", "fp32", log, () => Text(settings, output, log));
        Guarded(output, "image", "digits 0-4 → 5-9", "all", "fp32", log, () => Images(settings, output, log));
    }

    // ---- text: BANKING77 intents (source) → SMS spam / sentiment sentences (targets) ----

    private static void Text(TransferSettings settings, JsonArray output, Action<string> log)
    {
        ITextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(SharedDataSets.PathOf("vocab/bert-base-uncased/vocab.txt"));
        (List<string> trainTexts, List<int> trainLabels, string[] intents) = SharedDataSets.Banking77("train");
        (List<string> testTexts, List<int> testLabels, _) = SharedDataSets.Banking77("test");
        TextDataSet sourceTrain = TextDataSet.ForClassification(tokenizer, trainTexts, trainLabels, maxLength: settings.MaxLength, classCount: intents.Length);
        TextDataSet sourceTest = TextDataSet.ForClassification(tokenizer, testTexts, testLabels, maxLength: settings.MaxLength, classCount: intents.Length);

        var config = new BertConfig
        {
            HiddenSize = settings.TextHidden,
            NumHiddenLayers = settings.TextLayers,
            NumAttentionHeads = settings.TextHidden / 64,
            IntermediateSize = settings.TextHidden * 4,
            MaxPositionEmbeddings = 128,
            NumLabels = intents.Length,
        };
        using (manual_seed(Seed))
        {
        }

        Dictionary<string, Tensor> sourceWeights;
        using (var source = new BertForSequenceClassification(config))
        {
            var options = Options(settings, epochs: settings.SourceEpochs, learningRate: 1e-3, batch: 32, validation: 0);
            var clock = Stopwatch.StartNew();
            new TrainingLoop(options).Fit(source, TrainingTasks.SequenceClassification(), sourceTrain);
            EvaluationResult score = new TrainingLoop(options).Evaluate(source, TrainingTasks.SequenceClassification(), sourceTest);
            output.Add(Entry("text", "banking77 (source, from scratch)", "full", "fp32", score, 100, null, clock.Elapsed.TotalSeconds, sourceTrain.Count, sourceTest.Count));
            log($"  source banking77: accuracy {score.Accuracy:P1} macro-F1 {score.MacroF1:F3} in {clock.Elapsed.TotalSeconds:F0} s");
            sourceWeights = source.state_dict().Where(p => !p.Key.StartsWith("classifier.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
        }

        try
        {
            var targets = new List<(string Name, List<string> Texts, List<int> Labels)>();
            (List<string> smsTexts, List<int> smsLabels) = SharedDataSets.SmsSpam();
            targets.Add(("sms spam", smsTexts, smsLabels));
            if (settings.Sentiment)
            {
                (List<string> sentimentTexts, List<int> sentimentLabels) = SharedDataSets.Sentiment();
                targets.Add(("sentiment sentences", sentimentTexts, sentimentLabels));
            }

            foreach ((string name, List<string> texts, List<int> labels) in targets)
            {
                (int[] train, int[] test) = SeededSplit(texts.Count, testFraction: 0.2, settings.TargetTrainRows);
                TextDataSet targetTrain = TextDataSet.ForClassification(tokenizer, train.Select(i => texts[i]).ToList(), train.Select(i => labels[i]).ToList(), maxLength: settings.MaxLength, classCount: 2);
                TextDataSet targetTest = TextDataSet.ForClassification(tokenizer, test.Select(i => texts[i]).ToList(), test.Select(i => labels[i]).ToList(), maxLength: settings.MaxLength, classCount: 2);
                // LoRA also on the word embeddings: the source corpus (banking queries) never trained the embeddings of most
                // target words, and frozen random embeddings cap what q/v adapters can do; "lora_qv" shows that cap.
                var runs = new (string Label, string Method, string Precision, double Lr, string[]? LoraTargets)[]
                {
                    ("full", FineTuningMethods.Full, "fp32", 2e-4, null),
                    ("lora", FineTuningMethods.Lora, "fp32", 3e-3, TextLoraTargets),
                    ("lora", FineTuningMethods.Lora, "bf16", 3e-3, TextLoraTargets),
                    ("lora_qv", FineTuningMethods.Lora, "fp32", 3e-3, ["query", "value"]),
                    ("houlsby", FineTuningMethods.Houlsby, "fp32", 1e-3, null),
                    ("head", FineTuningMethods.Head, "fp32", 5e-3, null),
                };
                foreach ((string label, string method, string precision, double lr, string[]? loraTargets) in runs)
                {
                    if (precision == "bf16" && settings.Bf16SkipReason is { } skipped)
                    {
                        output.Add(Unmeasured("text", name, label, precision, skipped));
                        log($"  {name,-20} {label,-8} {precision}: {skipped}");
                        continue;
                    }

                    config.NumLabels = 2;
                    ReseedForTargetModel();

                    var model = new BertForSequenceClassification(config);
                    Load(model, sourceWeights);
                    using PreparedModel prepared = PreparedModel.Prepare(model, method, loraTargets);

                    var options = Options(settings, settings.TargetEpochs, lr, batch: 32, validation: 0.1);
                    options.Precision = precision == "bf16" ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32;
                    Guarded(output, "text", name, label, precision, log, () =>
                    {
                        var clock = Stopwatch.StartNew();
                        new TrainingLoop(options).Fit(prepared.Model, TrainingTasks.SequenceClassification(), targetTrain);
                        double seconds = clock.Elapsed.TotalSeconds;
                        EvaluationResult score;
                        using (options.Precision == TrainingPrecision.BFloat16 ? MixedPrecision.Apply(prepared.Model) : null)
                        {
                            score = new TrainingLoop(options).Evaluate(prepared.Model, TrainingTasks.SequenceClassification(), targetTest);
                        }

                        JsonObject entry = Entry("text", name, label, precision, score, prepared.TrainablePercent, prepared.AdapterBytes(), seconds, targetTrain.Count, targetTest.Count);
                        entry["learning_rate"] = lr;
                        if (loraTargets is not null)
                        {
                            entry["lora_targets"] = string.Join(",", loraTargets);
                        }

                        output.Add(entry);
                        log($"  {name,-20} {label,-8} {precision}: accuracy {score.Accuracy:P2} macro-F1 {score.MacroF1:F4} ({prepared.TrainablePercent:F2}% trainable, {seconds:F0} s)");
                    });
                }
            }
        }
        finally
        {
            foreach (Tensor weight in sourceWeights.Values)
            {
                weight.Dispose();
            }
        }
    }

    // ---- images: a narrow ResNet on digits 0-4 (source) → digits 5-9 (target) ----

    private static void Images(TransferSettings settings, JsonArray output, Action<string> log)
    {
        (List<float[]> pixels, List<int> digits) = SharedDataSets.Digits();
        const int side = 32;
        float[] Upscale(float[] image)
        {
            // 8×8 → 32×32 by repeating each pixel 4×4, three identical channels, values 0..16 → −1..1.
            var result = new float[3 * side * side];
            for (int y = 0; y < side; y++)
            {
                for (int x = 0; x < side; x++)
                {
                    float value = (image[(y / 4 * 8) + (x / 4)] / 8f) - 1f;
                    for (int c = 0; c < 3; c++)
                    {
                        result[(c * side * side) + (y * side) + x] = value;
                    }
                }
            }

            return result;
        }

        PixelData Subset(IEnumerable<int> rows, int offset)
        {
            int[] chosen = rows.ToArray();
            return new PixelData(chosen.Select(i => Upscale(pixels[i])).ToArray(), chosen.Select(i => digits[i] - offset).ToArray(), 3, side);
        }

        int[] low = Enumerable.Range(0, digits.Count).Where(i => digits[i] < 5).ToArray();
        int[] high = Enumerable.Range(0, digits.Count).Where(i => digits[i] >= 5).ToArray();
        (int[] sourceTrainAt, int[] sourceTestAt) = SeededSplit(low.Length, testFraction: 0.2, null);
        (int[] targetTrainAt, int[] targetTestAt) = SeededSplit(high.Length, testFraction: 0.5, null);
        PixelData sourceTrain = Subset(sourceTrainAt.Select(i => low[i]), 0);
        PixelData sourceTest = Subset(sourceTestAt.Select(i => low[i]), 0);
        PixelData targetTrain = Subset(targetTrainAt.Select(i => high[i]), 5);
        PixelData targetTest = Subset(targetTestAt.Select(i => high[i]), 5);
        var config = new ResNetConfig { BlockType = ResNetBlockType.Basic, BlocksPerStage = [1, 1, 1], StageWidths = [16, 32, 64], StemWidth = 16, NumClasses = 5 };
        ClassificationTask<PixelBatch> task = ModelTasks.ResNetClassification();

        using (manual_seed(Seed))
        {
        }

        Dictionary<string, Tensor> sourceWeights;
        using (var source = new ResNet(config))
        {
            var options = Options(settings, settings.ImageSourceEpochs, learningRate: 3e-3, batch: 32, validation: 0);
            var clock = Stopwatch.StartNew();
            new TrainingLoop(options).Fit(source, task, sourceTrain);
            EvaluationResult score = new TrainingLoop(options).Evaluate(source, task, sourceTest);
            output.Add(Entry("image", "digits 0-4 (source, from scratch)", "full", "fp32", score, 100, null, clock.Elapsed.TotalSeconds, sourceTrain.Count, sourceTest.Count));
            log($"  source digits 0-4: accuracy {score.Accuracy:P1} in {clock.Elapsed.TotalSeconds:F0} s");
            sourceWeights = source.state_dict().Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
        }

        try
        {
            foreach ((string method, double lr) in new[] { (FineTuningMethods.Full, 1e-3), (FineTuningMethods.Lora, 3e-3), (FineTuningMethods.Houlsby, 3e-3), (FineTuningMethods.Head, 1e-2) })
            {
                ReseedForTargetModel();

                var model = new ResNet(config);
                Load(model, sourceWeights);
                using PreparedModel prepared = PreparedModel.Prepare(model, method);

                var options = Options(settings, settings.ImageTargetEpochs, lr, batch: 32, validation: 0);
                Guarded(output, "image", "digits 5-9", method, "fp32", log, () =>
                {
                    var clock = Stopwatch.StartNew();
                    new TrainingLoop(options).Fit(prepared.Model, task, targetTrain);
                    double seconds = clock.Elapsed.TotalSeconds;
                    EvaluationResult score = new TrainingLoop(options).Evaluate(prepared.Model, task, targetTest);
                    JsonObject entry = Entry("image", "digits 5-9", method, "fp32", score, prepared.TrainablePercent, prepared.AdapterBytes(), seconds, targetTrain.Count, targetTest.Count);
                    entry["learning_rate"] = lr;
                    output.Add(entry);
                    log($"  digits 5-9           {method,-8} fp32: accuracy {score.Accuracy:P2} macro-F1 {score.MacroF1:F4} ({prepared.TrainablePercent:F2}% trainable, {seconds:F0} s)");
                });
            }
        }
        finally
        {
            foreach (Tensor weight in sourceWeights.Values)
            {
                weight.Dispose();
            }
        }
    }

    /// <summary>Runs one entry; a failure becomes a <c>failed: …</c> entry instead of ending the benchmark.</summary>
    private static void Guarded(JsonArray output, string domain, string task, string method, string precision, Action<string> log, Action run)
    {
        try
        {
            run();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string message = e.Message.Split('\n')[0];
            output.Add(Unmeasured(domain, task, method, precision, "failed: " + message));
            log($"  {task} {method} {precision}: FAILED {message}");
        }
    }

    /// <summary>
    /// Re-seeds torch's default generator so that every target model's new head starts from the same draw
    /// (<c>manual_seed</c> returns a handle to the default generator; disposing the handle keeps the seed).
    /// </summary>
    private static void ReseedForTargetModel() => manual_seed(Seed + 1).Dispose();

    private static TrainingOptions Options(TransferSettings settings, int epochs, double learningRate, int batch, double validation) => new()
    {
        Epochs = epochs,
        BatchSize = batch,
        LearningRate = learningRate,
        WarmupRatio = 0.06,
        ValidationFraction = validation,
        SelectionMetric = EvaluationMetric.MacroF1,
        Seed = Seed,
        Threads = settings.Threads,
        // Per-epoch rows only: the loop also logs the whole table again at the end.
        Log = line =>
        {
            if (line.Count(c => c == '\n') < 2)
            {
                s_log?.Invoke("    " + line.Replace("\n", "\n    ", StringComparison.Ordinal));
            }
        },
    };

    /// <summary>Copies <paramref name="weights"/> into the parameters and buffers of the same names (the head is left out of them).</summary>
    private static void Load(nn.Module model, Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in model.state_dict())
        {
            if (weights.TryGetValue(name, out Tensor? source))
            {
                value.copy_(source);
            }
        }
    }

    /// <summary>A seeded split of row positions into train and held-out test; the train part is capped at <paramref name="maxTrain"/> rows.</summary>
    private static (int[] Train, int[] Test) SeededSplit(int count, double testFraction, int? maxTrain)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random((int)Seed).Shuffle(order);
        int test = (int)Math.Round(count * testFraction);
        int[] train = order[test..];
        return (maxTrain is { } cap && train.Length > cap ? train[..cap] : train, order[..test]);
    }

    private static JsonObject Entry(string domain, string task, string method, string precision, EvaluationResult score, double trainablePercent, long? adapterBytes, double seconds, int trainRows, int testRows) => new()
    {
        ["domain"] = domain,
        ["task"] = task,
        ["method"] = method,
        ["precision"] = precision,
        ["status"] = "ok",
        ["metric"] = "accuracy",
        ["value"] = Math.Round(score.Accuracy ?? double.NaN, 4),
        ["macro_f1"] = Math.Round(score.MacroF1 ?? double.NaN, 4),
        ["trainable_pct"] = Math.Round(trainablePercent, 4),
        ["adapter_bytes"] = adapterBytes,
        ["seconds"] = Math.Round(seconds, 1),
        ["train_rows"] = trainRows,
        ["test_rows"] = testRows,
    };

    private static JsonObject Unmeasured(string domain, string task, string method, string precision, string why) => new()
    {
        ["domain"] = domain,
        ["task"] = task,
        ["method"] = method,
        ["precision"] = precision,
        ["status"] = why,
        ["metric"] = "accuracy",
        ["value"] = null,
        ["trainable_pct"] = null,
        ["adapter_bytes"] = null,
        ["seconds"] = null,
    };
}
