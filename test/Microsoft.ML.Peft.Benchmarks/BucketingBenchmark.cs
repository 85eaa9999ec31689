using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// Padding saved by length bucketing on the real BANKING77 training texts: one epoch of the real engine
/// (<see cref="TrainingLoop"/>, default <see cref="TrainingOptions.LengthBucketWindow"/>) over a model that costs
/// nothing, counting the token positions (rows × padded length) of every training batch the engine builds, against
/// padding every row to 128.
/// </summary>
internal static class BucketingBenchmark
{
    public const int PadTo = 128;

    public static JsonObject Run(ITextTokenizer tokenizer, int batchSize)
    {
        (List<string> texts, List<int> labels, string[] classes) = SharedDataSets.Banking77("train");
        TextDataSet data = TextDataSet.ForClassification(tokenizer, texts, labels, maxLength: PadTo, classCount: classes.Length);
        long realTokens = Enumerable.Range(0, data.Count).Sum(i => (long)data.GetLength(i));
        long padded = (long)data.Count * PadTo;
        long bucketed = Positions(data, batchSize, new TrainingOptions().LengthBucketWindow);
        long dynamicOnly = Positions(data, batchSize, window: 0);
        return new JsonObject
        {
            ["data"] = "banking77 train",
            ["rows"] = data.Count,
            ["batch"] = batchSize,
            ["bucket_window_batches"] = new TrainingOptions().LengthBucketWindow,
            ["real_tokens"] = realTokens,
            ["positions_pad_to_128"] = padded,
            ["positions_dynamic_padding"] = dynamicOnly,
            ["positions_bucketed"] = bucketed,
            ["bucketing_token_ratio"] = Math.Round((double)bucketed / padded, 4),
            ["dynamic_padding_token_ratio"] = Math.Round((double)dynamicOnly / padded, 4),
            ["bucketed_vs_dynamic_ratio"] = Math.Round((double)bucketed / dynamicOnly, 4),
            ["real_token_ratio"] = Math.Round((double)realTokens / padded, 4),
        };
    }

    private static long Positions(TextDataSet data, int batchSize, int window)
    {
        var recording = new RecordingData(data);
        using var model = new ConstantLogits(data.ClassCount!.Value);
        var task = new ClassificationTask<TextBatch>((m, batch, device) => ((ConstantLogits)m).Logits(batch.Count));
        var options = new TrainingOptions { Epochs = 1, BatchSize = batchSize, LearningRate = 1e-3, LengthBucketWindow = window, Threads = 1 };
        new TrainingLoop(options).Fit(model, task, recording);
        return recording.TrainingPositions.Sum();
    }

    /// <summary>Passes batches through, recording the token positions of each training batch.</summary>
    private sealed class RecordingData(TextDataSet inner) : ITrainingData<TextBatch>
    {
        public ConcurrentBag<long> TrainingPositions { get; } = [];

        public int Count => inner.Count;

        public bool HasLengths => inner.HasLengths;

        public int GetLength(int index) => inner.GetLength(index);

        public TextBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context)
        {
            TextBatch batch = inner.CreateBatch(indices, context);
            if (context.Training)
            {
                TrainingPositions.Add(batch.PaddedTokenCount);
            }

            return batch;
        }
    }

    /// <summary>A "model" of one trainable bias vector, so the engine's batching is all that costs time.</summary>
    private sealed class ConstantLogits : nn.Module
    {
        private readonly Parameter bias;

        public ConstantLogits(int classes)
            : base(nameof(ConstantLogits))
        {
            bias = new Parameter(zeros(classes));
            RegisterComponents();
        }

        public Tensor Logits(int rows) => bias.unsqueeze(0).expand(rows, -1);
    }
}
