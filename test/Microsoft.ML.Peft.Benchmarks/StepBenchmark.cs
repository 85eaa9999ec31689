using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>What one step-time row measures.</summary>
internal sealed record RowSpec(string Model, string Method, string Precision, int Batch, int Sequence, int ImageSize, int Warmup, int Steps, int Threads)
{
    public bool IsBert => BenchmarkModels.IsBert(Model);

    public IEnumerable<string> ToArguments() =>
    [
        "--model", Model, "--method", Method, "--precision", Precision, "--batch", Batch.ToString(), "--sequence", Sequence.ToString(),
        "--image-size", ImageSize.ToString(), "--warmup", Warmup.ToString(), "--steps", Steps.ToString(), "--threads", Threads.ToString(),
    ];
}

/// <summary>
/// Times training steps of one configuration through the real engine (<see cref="TrainingLoop"/>: forward, backward,
/// gradient clipping, AdamW, bf16 casts), in the process it runs in, so its peak RSS (VmHWM) is that configuration's.
/// A step's time is the interval between two consecutive progress reports (one per optimizer step).
/// </summary>
internal static class StepBenchmark
{
    public static JsonObject Run(RowSpec spec)
    {
        set_num_threads(spec.Threads);
        var row = new JsonObject
        {
            ["model"] = spec.Model,
            ["method"] = spec.Method,
            ["precision"] = spec.Precision,
            ["batch"] = spec.Batch,
            [spec.IsBert ? "sequence" : "image_size"] = spec.IsBert ? spec.Sequence : spec.ImageSize,
        };

        // The ceiling right next to the steps, on the same contended cores.
        row["nearby_matmul_fp32_gflops"] = Math.Round(MatmulCeiling.GigaFlops(ScalarType.Float32, repeats: 3), 1);
        int classes = 2;
        nn.Module model = BenchmarkModels.Create(spec.Model, classes, seed: 11);
        using PreparedModel prepared = PreparedModel.Prepare(model, spec.Method);

        TrainingFlops flops = spec.IsBert
            ? TrainingFlops.ForBert(prepared.Model, ids => ((ISequenceClassificationModel)prepared.Model).Forward(ids), spec.Batch, spec.Sequence, ((BertStyleSequenceClassifier<Models.Bert.BertConfig>)prepared.Model).Config.HiddenSize)
            : TrainingFlops.ForResNet((ResNet)prepared.Model, spec.Batch, spec.ImageSize);
        GC.Collect();
        double rssBeforeTraining = Measurement.ResidentMiB();

        int rows = spec.Batch * (spec.Warmup + spec.Steps);
        var stamps = new List<long>();
        var options = new TrainingOptions
        {
            Epochs = 1,
            BatchSize = spec.Batch,
            LearningRate = 1e-4,
            Threads = spec.Threads,
            Precision = spec.Precision == "bf16" ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32,
            DataLoaderWorkers = 1,
            RestoreBestWeights = false,
            Progress = new SynchronousProgress<TrainingProgress>(_ => stamps.Add(Stopwatch.GetTimestamp())),
        };
        long start = Stopwatch.GetTimestamp();
        TrainingResult result = spec.IsBert
            ? new TrainingLoop(options).Fit(prepared.Model, TrainingTasks.SequenceClassification(), RandomText(rows, spec.Sequence, classes))
            : new TrainingLoop(options).Fit(prepared.Model, ModelTasks.ResNetClassification(), PixelData.Random(rows, spec.ImageSize, classes, seed: 5));
        var steps = new List<double>();
        for (int i = 0; i < stamps.Count; i++)
        {
            steps.Add(Stopwatch.GetElapsedTime(i == 0 ? start : stamps[i - 1], stamps[i]).TotalSeconds);
        }

        double[] timed = steps.Skip(spec.Warmup).ToArray();
        double median = Measurement.Median(timed);
        row["status"] = "ok";
        row["step_s_median"] = Math.Round(median, 4);
        row["step_s_all"] = new JsonArray(steps.Select(s => (JsonNode)Math.Round(s, 4)).ToArray());
        row["samples_per_s"] = Math.Round(spec.Batch / median, 2);
        row["gflop_per_step"] = Math.Round(flops.Total / 1e9, 2);
        row["gflop_forward"] = Math.Round(flops.Forward / 1e9, 2);
        row["gflop_input_grad"] = Math.Round(flops.InputGradients / 1e9, 2);
        row["gflop_weight_grad"] = Math.Round(flops.WeightGradients / 1e9, 2);
        row["gflops"] = Math.Round(flops.Total / median / 1e9, 1);
        row["trainable_params"] = prepared.TrainableParameters;
        row["all_params"] = prepared.AllParameters;
        row["trainable_pct"] = Math.Round(prepared.TrainablePercent, 4);
        row["rss_before_training_mib"] = Math.Round(rssBeforeTraining, 1);
        row["peak_rss_mib"] = Math.Round(Measurement.PeakResidentMiB(), 1);
        row["steps_run"] = result.Steps;
        row["nearby_matmul_fp32_gflops_after"] = Math.Round(MatmulCeiling.GigaFlops(ScalarType.Float32, repeats: 3), 1);
        return row;
    }

    /// <summary>Rows of exactly <paramref name="length"/> random word-piece ids ([CLS] … [SEP]), so every batch has the benchmark shape.</summary>
    private static TextDataSet RandomText(int rows, int length, int classes)
    {
        var random = new Random(3);
        var texts = new TokenizedText[rows];
        for (int r = 0; r < rows; r++)
        {
            int[] ids = Enumerable.Range(0, length).Select(_ => random.Next(1000, 30000)).ToArray();
            ids[0] = 101;
            ids[^1] = 102;
            texts[r] = new TokenizedText(ids, new int[length]);
        }

        return TextDataSet.FromTokenized(texts, paddingTokenId: 0, classLabels: Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray());
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, at once (System.Progress posts it elsewhere).</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
