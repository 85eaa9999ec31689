using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Tuners.Baselines;
using Microsoft.ML.Peft.Tuners.Lora;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// Prediction throughput of the ML.NET text classifier at BERT-small shape (4 × 256) on real BANKING77 texts:
/// the base network (a head-only model: no adapter anywhere), LoRA merged into the weights (the default), and LoRA
/// kept as separate layers, each through <c>Transform</c> (rows batched internally); and one row at a time through a
/// <c>PredictionEngine</c>.
/// </summary>
internal static class InferenceBenchmark
{
    private const int InferenceBatchSize = 32;

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    private sealed class LabelledRow
    {
        public string Text { get; set; } = "";

        public string Intent { get; set; } = "";
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        [VectorType]
        public float[] Score { get; set; } = [];
    }

    public static JsonObject Run(int rows, int singleRows, int rounds, int threads, Action<string> log)
    {
        set_num_threads(threads);
        (List<string> texts, List<int> labels, string[] classes) = SharedDataSets.Banking77("test");
        BertTextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(SharedDataSets.PathOf("vocab/bert-base-uncased/vocab.txt"));
        var mlContext = new MLContext(seed: 1);

        // The models are trained for one short epoch: throughput does not depend on what they learned.
        IDataView train = mlContext.Data.LoadFromEnumerable(texts.Take(256).Select((t, i) => new LabelledRow { Text = t, Intent = classes[labels[i]] }));
        IDataView keyed = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(LabelledRow.Intent)).Fit(train).Transform(train);
        int classCount = classes.Length;
        var models = new (string Name, PeftTextClassificationTransformer Model)[]
        {
            ("base", Fit(mlContext, keyed, tokenizer, classCount, new HeadOnlyConfig(), merge: true)),
            ("merged", Fit(mlContext, keyed, tokenizer, classCount, new LoraConfig { R = 8, LoraAlpha = 16 }, merge: true)),
            ("unmerged", Fit(mlContext, keyed, tokenizer, classCount, new LoraConfig { R = 8, LoraAlpha = 16 }, merge: false)),
        };

        IDataView scored = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new TextRow { Text = texts[i % texts.Count] }));
        List<TextRow> single = Enumerable.Range(0, singleRows).Select(i => new TextRow { Text = texts[i % texts.Count] }).ToList();
        PredictionEngine<TextRow, Prediction> engine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(models[1].Model);

        // Warm-up, then rounds that interleave the configurations, so a slow moment of a shared machine hits all of them;
        // every other round runs them in reverse order, so a machine that slows down or speeds up within a round does not
        // favour whichever configuration comes first.
        var rowsPerSecond = models.ToDictionary(m => m.Name, _ => new List<double>());
        rowsPerSecond["single_row"] = [];
        foreach ((string _, PeftTextClassificationTransformer model) in models)
        {
            Consume(model.Transform(scored));
        }

        PredictOneByOne(engine, single.Take(8));
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, PeftTextClassificationTransformer model) in round % 2 == 0 ? models : models.Reverse())
            {
                var clock = Stopwatch.StartNew();
                Consume(model.Transform(scored));
                rowsPerSecond[name].Add(rows / clock.Elapsed.TotalSeconds);
            }

            var one = Stopwatch.StartNew();
            PredictOneByOne(engine, single);
            rowsPerSecond["single_row"].Add(singleRows / one.Elapsed.TotalSeconds);
            log($"  round {round + 1}/{rounds}: " + string.Join("  ", rowsPerSecond.Select(p => $"{p.Key} {p.Value[^1]:F1} rows/s")));
        }

        engine.Dispose();
        foreach ((string _, PeftTextClassificationTransformer model) in models)
        {
            model.Dispose();
        }

        // Ratios are medians of per-round ratios: both sides of a ratio ran back to back in the same round, so a slow
        // stretch of this shared machine moves them together (the ratio of the two medians is also reported).
        var median = rowsPerSecond.ToDictionary(p => p.Key, p => Measurement.Median(p.Value));
        double PairedRatio(string over, string under) => Measurement.Median(rowsPerSecond[over].Zip(rowsPerSecond[under], (a, b) => a / b).ToArray());
        double merged = PairedRatio("merged", "base");
        double unmerged = PairedRatio("unmerged", "base");
        double batched = PairedRatio("merged", "single_row");
        log($"  median rows/s: base {median["base"]:F1}, merged LoRA {median["merged"]:F1} ({merged:F3}× base), unmerged LoRA {median["unmerged"]:F1} ({unmerged:F3}× base), one row at a time {median["single_row"]:F1} (batched {batched:F1}×; ratios are medians of per-round ratios)");
        return new JsonObject
        {
            ["model"] = BenchmarkModels.BertSmall,
            ["texts"] = "BANKING77 test",
            ["rows"] = rows,
            ["single_rows"] = singleRows,
            ["rounds"] = rounds,
            ["inference_batch_size"] = InferenceBatchSize,
            ["threads"] = get_num_threads(),
            ["merged_vs_base_throughput"] = Math.Round(merged, 4),
            ["unmerged_vs_base_throughput"] = Math.Round(unmerged, 4),
            ["batched_vs_single_row_speedup"] = Math.Round(batched, 2),
            ["ratio_of_medians"] = new JsonObject
            {
                ["merged_vs_base_throughput"] = Math.Round(median["merged"] / median["base"], 4),
                ["unmerged_vs_base_throughput"] = Math.Round(median["unmerged"] / median["base"], 4),
                ["batched_vs_single_row_speedup"] = Math.Round(median["merged"] / median["single_row"], 2),
            },
            ["rows_per_s"] = new JsonObject(median.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 2)))),
            ["rows_per_s_all"] = new JsonObject(rowsPerSecond.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray(p.Value.Select(v => (JsonNode)Math.Round(v, 2)).ToArray())))),
            ["acceptance"] = new JsonObject
            {
                ["merged_vs_base_throughput"] = Check(merged, ">= 0.98", merged >= 0.98),
                ["batched_vs_single_row_speedup"] = Check(batched, ">= 5", batched >= 5),
            },
        };
    }

    private static JsonObject Check(double value, string target, bool met) => new() { ["value"] = Math.Round(value, 4), ["target"] = target, ["met"] = met };

    private static PeftTextClassificationTransformer Fit(MLContext mlContext, IDataView keyed, BertTextTokenizer tokenizer, int classCount, PeftConfig peft, bool merge)
    {
        // Every configuration starts from the same random BERT-small weights.
        var network = (BertForSequenceClassification)BenchmarkModels.Create(BenchmarkModels.BertSmall, classCount, seed: 5);
        return mlContext.MulticlassClassification.Trainers.PeftTextClassification(new PeftTextClassificationTrainer.Options
        {
            BaseModelInstance = network,
            Tokenizer = tokenizer,
            TextColumnName = nameof(LabelledRow.Text),
            Peft = peft,
            MergeAdapter = merge,
            Epochs = 1,
            BatchSize = 32,
            MaxSequenceLength = 128,
            InferenceBatchSize = InferenceBatchSize,
            Log = _ => { },
        }).Fit(keyed);
    }

    private static void Consume(IDataView scored)
    {
        DataViewSchema.Column score = scored.Schema["Score"];
        using DataViewRowCursor cursor = scored.GetRowCursor([score]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(score);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
        }
    }

    private static void PredictOneByOne(PredictionEngine<TextRow, Prediction> engine, IEnumerable<TextRow> rows)
    {
        var prediction = new Prediction();
        foreach (TextRow row in rows)
        {
            engine.Predict(row, ref prediction);
        }
    }
}
