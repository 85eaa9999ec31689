using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Precision;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>The <c>training</c> command: matmul ceiling, step-time rows, bucketing and transfer, as one JSON object.</summary>
internal static class TrainingBenchmark
{
    public const string Rows = "rows";
    public const string Bucketing = "bucketing";
    public const string Transfer = "transfer";

    public static readonly string[] Parts = [Rows, Bucketing, Transfer];

    public static JsonObject Run(IReadOnlySet<string> parts, bool quick, int threads, int transferThreads, IReadOnlyList<string>? models, Action<string> log)
    {
        set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        var result = new JsonObject
        {
            ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {RuntimeInformationText()}",
            ["load_average_at_start"] = LoadAverage(),
            ["threads"] = threads,
            ["quick"] = quick,
        };

        double fp32 = MatmulCeiling.GigaFlops(ScalarType.Float32);
        double bf16 = MatmulCeiling.GigaFlops(ScalarType.BFloat16);
        result["matmul_fp32_gflops"] = Math.Round(fp32, 1);
        result["matmul_bf16_gflops"] = Math.Round(bf16, 1);
        log($"matmul ceiling (2048³, smaller where a dtype is emulated): fp32 {fp32:F1} GFLOP/s, bf16 {bf16:F1} GFLOP/s ({threads} threads)");
        string? bf16Skipped = Bf16SkipReason(fp32, bf16);
        if (bf16Skipped is not null)
        {
            result["bf16_skipped"] = bf16Skipped;
            log(bf16Skipped);
        }

        if (parts.Contains(Rows))
        {
            var rows = new JsonArray();
            foreach (RowSpec spec in RowSpecs(quick, threads, models))
            {
                log($"row {spec.Model} {spec.Method} {spec.Precision} ...");
                JsonObject row = spec.Precision == "bf16" && bf16Skipped is not null
                    ? ChildRows.NotRun(spec, bf16Skipped)
                    : ChildRows.Run(spec, TimeSpan.FromMinutes(20));
                rows.Add(row);
                log("  " + RowLine(row));
            }

            // The acceptance pair again, alternating, so the LoRA/full ratios are medians of back-to-back pairs.
            var repeats = new JsonArray();
            int pairRounds = quick ? 1 : AcceptancePairRounds;
            RowSpec[] pair = RowSpecs(quick, threads, models).Where(IsAcceptancePair).ToArray();
            for (int round = 1; round < pairRounds; round++)
            {
                foreach (RowSpec spec in pair)
                {
                    log($"row {spec.Model} {spec.Method} {spec.Precision} (pair round {round + 1}/{pairRounds}) ...");
                    JsonObject row = ChildRows.Run(spec, TimeSpan.FromMinutes(20));
                    row["pair_round"] = round + 1;
                    repeats.Add(row);
                    log("  " + RowLine(row));
                }
            }

            result["rows"] = rows;
            result["row_table"] = RowTable(rows);
            result["acceptance_pair_repeats"] = repeats;
            result["acceptance"] = Acceptance(rows, repeats, fp32);
        }

        ITextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(SharedDataSets.PathOf("vocab/bert-base-uncased/vocab.txt"));
        if (parts.Contains(Bucketing))
        {
            JsonObject bucketing = BucketingBenchmark.Run(tokenizer, batchSize: 32);
            result["bucketing_token_ratio"] = bucketing["bucketing_token_ratio"]!.DeepClone();
            result["bucketing"] = bucketing;
            log($"bucketing on BANKING77 train: {bucketing["positions_bucketed"]} token positions bucketed vs {bucketing["positions_pad_to_128"]} padded to 128 " +
                $"(ratio {bucketing["bucketing_token_ratio"]}; dynamic padding without bucketing {bucketing["dynamic_padding_token_ratio"]}; real tokens {bucketing["real_token_ratio"]})");
        }

        if (parts.Contains(Transfer))
        {
            var transfer = new JsonArray();
            log("transfer:");
            TransferSettings settings = quick ? TransferSettings.Quick(transferThreads) : TransferSettings.Full(transferThreads);
            TransferBenchmark.Run(settings with { Bf16SkipReason = bf16Skipped }, transfer, log);
            result["transfer_threads"] = transferThreads;
            result["transfer"] = transfer;
            result["transfer_checks"] = TransferChecks(transfer);
        }

        result["load_average_at_end"] = LoadAverage();
        result["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        return result;
    }

    /// <summary>
    /// Why bf16 rows and runs are not measured, or null when they are: where bf16 matmuls are slower than fp32 ones the
    /// CPU has no bf16 matrix instructions and libtorch emulates them (0.3 GFLOP/s measured on an AVX2-only EPYC), so a
    /// BERT-base bf16 step would take many minutes and say nothing about the engine.
    /// </summary>
    public static string? Bf16SkipReason(double fp32Gflops, double bf16Gflops) =>
        bf16Gflops >= fp32Gflops
            ? null
            : $"skipped: bf16 matmuls run at {bf16Gflops:F1} GFLOP/s on this machine, below fp32's {fp32Gflops:F1} " +
              $"(as where bf16 is emulated; the CPU feature list names bf16 matrix instructions: {BFloat16Hardware.CpuHasMatrixInstructions?.ToString() ?? "unknown"}), so bf16 is not measured here";

    public static IEnumerable<RowSpec> RowSpecs(bool quick, int threads, IReadOnlyList<string>? models)
    {
        int warmup = quick ? 1 : 2;
        int steps = quick ? 3 : 5;
        foreach (string model in models ?? BenchmarkModels.All)
        {
            bool bert = BenchmarkModels.IsBert(model);
            foreach (string precision in new[] { "fp32", "bf16" })
            {
                foreach (string method in FineTuningMethods.All)
                {
                    if ((!bert || model == BenchmarkModels.BertBaseNoDropout) && method == FineTuningMethods.Houlsby)
                    {
                        continue; // bottleneck adapters are defined for transformer layers; the dropout-free shape is a diagnostic
                    }

                    yield return new RowSpec(model, method, precision, Batch: 8, Sequence: 128, ImageSize: 224, warmup, steps, threads);
                }
            }
        }
    }

    public static string RowLine(JsonObject row)
    {
        if ((string?)row["status"] != "ok")
        {
            return $"{row["model"],-10} {row["method"],-8} {row["precision"],-5} {row["status"]}";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{row["model"],-10} {row["method"],-8} {row["precision"],-5} step {(double)row["step_s_median"]!,8:F3} s  {(double)row["samples_per_s"]!,7:F2} samples/s  " +
            $"{(double)row["gflops"]!,7:F1} GFLOP/s  ({(double)row["gflop_per_step"]!,7:F1} GFLOP/step)  peak RSS {(double)row["peak_rss_mib"]!,7:F0} MiB  " +
            $"trainable {(double)row["trainable_pct"]!,8:F4}%  nearby fp32 ceiling {(double)row["nearby_matmul_fp32_gflops"]!,6:F1}");
    }

    private static JsonArray RowTable(JsonArray rows) => new(rows.OfType<JsonObject>().Select(r => (JsonNode)RowLine(r)).ToArray());

    /// <summary>Rounds of the acceptance pair (BERT-base full and LoRA, fp32) in a full run: the first is the rows' own.</summary>
    private const int AcceptancePairRounds = 3;

    private static bool IsAcceptancePair(RowSpec spec) =>
        spec.Model == BenchmarkModels.BertBase && spec.Precision == "fp32" && spec.Method is FineTuningMethods.Full or FineTuningMethods.Lora;

    /// <summary>The acceptance figures of the issue, computed from this run's rows and pair repeats (and the same for the dropout-free diagnostic shape).</summary>
    private static JsonObject Acceptance(JsonArray rows, JsonArray repeats, double fp32Ceiling)
    {
        JsonObject result = Ratios(rows, BenchmarkModels.BertBase, fp32Ceiling);
        JsonObject? paired = PairedRatios(rows, repeats);
        if (paired is not null)
        {
            // The medians of back-to-back pairs are the acceptance figures; the first pair's stay under first_pair_*.
            foreach (string field in new[] { "lora_fp32_speedup_vs_full", "lora_peak_rss_ratio_vs_full" })
            {
                result["first_pair_" + field] = result[field]?.DeepClone();
                result[field] = paired[field]!.DeepClone();
            }

            result["pairs"] = paired["pairs"]!.DeepClone();
        }

        result["without_dropout"] = Ratios(rows, BenchmarkModels.BertBaseNoDropout, fp32Ceiling);
        return result;
    }

    /// <summary>LoRA against full fine-tuning over the rounds of the acceptance pair, or null with fewer than two rounds.</summary>
    private static JsonObject? PairedRatios(JsonArray rows, JsonArray repeats)
    {
        var runs = rows.Concat(repeats).OfType<JsonObject>()
            .Where(r => (string?)r["model"] == BenchmarkModels.BertBase && (string?)r["precision"] == "fp32" && (string?)r["status"] == "ok")
            .ToList();
        List<JsonObject> Of(string method) => runs.Where(r => (string?)r["method"] == method).ToList();
        List<JsonObject> full = Of(FineTuningMethods.Full);
        List<JsonObject> lora = Of(FineTuningMethods.Lora);
        int count = Math.Min(full.Count, lora.Count);
        if (count < 2)
        {
            return null;
        }

        var pairs = new JsonArray();
        var speedups = new List<double>();
        var rssRatios = new List<double>();
        for (int i = 0; i < count; i++)
        {
            double speedup = LoraSpeedup(full[i], lora[i])!.Value;
            double rss = LoraRssRatio(full[i], lora[i])!.Value;
            speedups.Add(speedup);
            rssRatios.Add(rss);
            pairs.Add(new JsonObject
            {
                ["full_step_s"] = full[i]["step_s_median"]!.DeepClone(),
                ["lora_step_s"] = lora[i]["step_s_median"]!.DeepClone(),
                ["speedup"] = Math.Round(speedup, 3),
                ["full_peak_rss_mib"] = full[i]["peak_rss_mib"]!.DeepClone(),
                ["lora_peak_rss_mib"] = lora[i]["peak_rss_mib"]!.DeepClone(),
                ["rss_ratio"] = Math.Round(rss, 3),
            });
        }

        return new JsonObject
        {
            ["lora_fp32_speedup_vs_full"] = Math.Round(Measurement.Median(speedups), 3),
            ["lora_peak_rss_ratio_vs_full"] = Math.Round(Measurement.Median(rssRatios), 3),
            ["pairs"] = pairs,
        };
    }

    /// <summary>Full fine-tuning's step time over LoRA's; null where a row is missing.</summary>
    private static double? LoraSpeedup(JsonObject? full, JsonObject? lora) => Field(full, "step_s_median") / Field(lora, "step_s_median");

    /// <summary>LoRA's peak RSS over full fine-tuning's; null where a row is missing.</summary>
    private static double? LoraRssRatio(JsonObject? full, JsonObject? lora) => Field(lora, "peak_rss_mib") / Field(full, "peak_rss_mib");

    private static double? Field(JsonObject? row, string field) => row?[field] is JsonNode node ? (double)node : null;

    private static JsonObject Ratios(JsonArray rows, string model, double fp32Ceiling)
    {
        JsonObject? Find(string method, string precision) => rows.OfType<JsonObject>().FirstOrDefault(r =>
            (string?)r["model"] == model && (string?)r["method"] == method && (string?)r["precision"] == precision && (string?)r["status"] == "ok");
        static JsonNode? Round(double? value) => value is { } v ? JsonValue.Create(Math.Round(v, 3)) : null;

        JsonObject? fullFp32 = Find(FineTuningMethods.Full, "fp32");
        JsonObject? loraFp32 = Find(FineTuningMethods.Lora, "fp32");
        JsonObject? loraBf16 = Find(FineTuningMethods.Lora, "bf16");
        double? nearby = (Field(fullFp32, "nearby_matmul_fp32_gflops") + Field(fullFp32, "nearby_matmul_fp32_gflops_after")) / 2;
        return new JsonObject
        {
            ["model"] = model,
            ["lora_fp32_speedup_vs_full"] = Round(LoraSpeedup(fullFp32, loraFp32)),
            ["lora_fp32_speedup_target"] = 1.6,
            ["lora_peak_rss_ratio_vs_full"] = Round(LoraRssRatio(fullFp32, loraFp32)),
            ["lora_peak_rss_ratio_target"] = 0.5,
            ["full_fp32_gflops_fraction_of_ceiling"] = Round(Field(fullFp32, "gflops") / fp32Ceiling),
            ["full_fp32_gflops_fraction_of_nearby_ceiling"] = Round(Field(fullFp32, "gflops") / nearby),
            ["full_fp32_gflops_fraction_target"] = 0.75,
            ["lora_bf16_speedup_vs_fp32"] = Round(Field(loraFp32, "step_s_median") / Field(loraBf16, "step_s_median")),
            ["lora_bf16_speedup_target"] = 2.5,
        };
    }

    /// <summary>LoRA against full fine-tuning and head-only per target task, and bf16 LoRA against fp32 LoRA (accuracy points).</summary>
    private static JsonArray TransferChecks(JsonArray transfer)
    {
        var checks = new JsonArray();
        var entries = transfer.OfType<JsonObject>().Where(e => (string?)e["status"] == "ok" && !((string)e["task"]!).Contains("source", StringComparison.Ordinal)).ToList();
        foreach (var group in entries.GroupBy(e => (string)e["task"]!))
        {
            double? Value(string method, string precision) =>
                group.FirstOrDefault(e => (string?)e["method"] == method && (string?)e["precision"] == precision)?["value"] is JsonNode node ? (double)node : null;
            double? full = Value(FineTuningMethods.Full, "fp32");
            double? lora = Value(FineTuningMethods.Lora, "fp32");
            double? loraBf16 = Value(FineTuningMethods.Lora, "bf16");
            double? head = Value(FineTuningMethods.Head, "fp32");
            JsonNode? Points(double? a, double? b) => a is { } x && b is { } y ? JsonValue.Create(Math.Round(100 * (x - y), 2)) : null;
            checks.Add(new JsonObject
            {
                ["task"] = group.Key,
                ["lora_minus_full_points"] = Points(lora, full),
                ["lora_minus_head_points"] = Points(lora, head),
                ["lora_bf16_minus_fp32_points"] = Points(loraBf16, lora),
            });
        }

        return checks;
    }

    /// <summary>The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string RuntimeInformationText()
    {
        var text = new StringBuilder(System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        if (File.Exists("/proc/cpuinfo"))
        {
            string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null)
            {
                text.Append(", ").Append(model[(model.IndexOf(':') + 1)..].Trim());
            }
        }

        return text.ToString();
    }
}
