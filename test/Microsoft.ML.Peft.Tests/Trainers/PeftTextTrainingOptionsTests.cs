using Microsoft.ML.Data;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Trainers;
using Xunit.Abstractions;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>
/// The text trainer's settings and data edge cases, each with its own short training run: cross-validation, missing
/// and unseen labels, unmerged adapters and their export, sentence pairs, full fine-tuning, and real sentences.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PeftTextTrainingOptionsTests
{
    private readonly ITestOutputHelper _output;
    private readonly MLContext _mlContext = new(seed: 1);

    public PeftTextTrainingOptionsTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void CrossValidationWithTwoFoldsTrainsAndEvaluatesAModelPerFold()
    {
        using var baseModel = Bert(seed: 3);
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(200, seed: 31));
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel)));

        var folds = _mlContext.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 2);

        Assert.Equal(2, folds.Count);
        foreach (var fold in folds)
        {
            _output.WriteLine($"fold {fold.Fold}: macro accuracy {fold.Metrics.MacroAccuracy:F3}, log loss {fold.Metrics.LogLoss:F3}");
            var chain = Assert.IsAssignableFrom<TransformerChain<PeftTextClassificationTransformer>>(fold.Model);
            Assert.Equal(3, chain.LastTransformer.ClassCount);
            Assert.True(fold.Metrics.MacroAccuracy > 0.6, $"fold {fold.Fold}: {fold.Metrics.MacroAccuracy}");
            Assert.Equal(3, fold.Metrics.ConfusionMatrix.NumberOfClasses);
            Assert.Equal(fold.Metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()), Scores(fold.ScoredHoldOutSet).Length);
            chain.LastTransformer.Dispose();
        }

        Assert.Equal(200, folds.Sum(f => f.Metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()))); // each row is held out once
    }

    [Fact]
    public void CrossValidationFoldsKeepTheirOwnCheckpointsAndAFitResumesTheRunOfItsData()
    {
        using var folder = new TemporaryFolder();
        using var baseModel = Bert(seed: 3);
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(80, seed: 32));
        PeftTextClassificationTrainer.Options Checkpointed(bool resume) => Options<PeftTextClassificationTrainer.Options>(baseModel, o =>
        {
            o.Epochs = 2;
            o.CheckpointFolder = folder.Path;
            o.ResumeFromCheckpoint = resume;
        });
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment));

        // One folder for both folds: each fold's data gets its own sub-folder instead of the second fold being refused.
        var folds = _mlContext.MulticlassClassification.CrossValidate(
            data, keys.Append(_mlContext.MulticlassClassification.Trainers.PeftTextClassification(Checkpointed(resume: false))), numberOfFolds: 2);
        foreach (var fold in folds)
        {
            ((TransformerChain<PeftTextClassificationTransformer>)fold.Model).LastTransformer.Dispose();
        }

        string[] runs = Directory.GetDirectories(folder.Path).Select(System.IO.Path.GetFileName).OfType<string>().Order().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.All(runs, r => Assert.Matches("^data-[0-9a-f]{16}$", r));
        Assert.All(runs, r => Assert.NotEmpty(TrainingCheckpoints.List(folder.File(r))));

        // A Fit on all rows is a third run; fitting it again with ResumeFromCheckpoint continues it (here: from its end).
        IDataView keyed = keys.Fit(data).Transform(data);
        using PeftTextClassificationTransformer first = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(Checkpointed(resume: false)).Fit(keyed);
        Assert.Equal(3, Directory.GetDirectories(folder.Path).Length);
        var log = new List<string>();
        PeftTextClassificationTrainer.Options resumed = Checkpointed(resume: true);
        resumed.Log = log.Add;
        using PeftTextClassificationTransformer again = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(resumed).Fit(keyed);

        Assert.Equal(3, Directory.GetDirectories(folder.Path).Length);
        Assert.Contains(log, line => line.StartsWith("Resumed from " + folder.Path, StringComparison.Ordinal));
        Assert.Equal(Scores(first.Transform(keyed)), Scores(again.Transform(keyed)));
    }

    [Fact]
    public void RowsWithAMissingLabelAreSkippedAndAClassNeverTrainedOnIsNeverPredicted()
    {
        // The key is built from positive and negative only, so neutral rows get the missing key (0), as rows of a
        // label value MapValueToKey never saw do.
        IDataView keyData = _mlContext.Data.LoadFromEnumerable(new[] { new { Sentiment = "positive" }, new { Sentiment = "negative" } });
        List<Review> rows = Rows(120, seed: 41);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment), keyData: keyData).Fit(data);
        IDataView keyed = keys.Transform(data);
        var log = new List<string>();
        using var baseModel = Bert(seed: 3);

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers
            .PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 2; o.Log = log.Add; }))
            .Fit(keyed);

        int known = rows.Count(r => r.Sentiment != "neutral");
        Assert.Contains(log, line => line.Contains($"; {known} training rows", StringComparison.Ordinal));
        Assert.Equal(2, model.ClassCount);
        Assert.Equal(["positive", "negative"], model.ClassNames);
        IDataView scored = model.Transform(keyed);
        uint[] predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.Equal(rows.Count, predicted.Length);
        Assert.All(predicted, p => Assert.InRange(p, 1u, 2u)); // neutral rows too get one of the trained classes

        // The evaluator leaves the rows without a known label out, as it does for ML.NET's own trainers.
        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored);
        Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.Equal(known, metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
    }

    [Fact]
    public void AnUnmergedAdapterScoresAsTheMergedOneExportsInPeftFormatAndSurvivesSaving()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(120, seed: 51));
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data);
        IDataView keyed = keys.Transform(data);
        using var baseModel = Bert(seed: 3);
        PeftTextClassificationTransformer Train(bool merge) => _mlContext.MulticlassClassification.Trainers
            .PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 2; o.MergeAdapter = merge; }))
            .Fit(keyed);

        using PeftTextClassificationTransformer merged = Train(merge: true);
        using PeftTextClassificationTransformer unmerged = Train(merge: false);

        Assert.True(merged.IsAdapterMerged);
        Assert.False(unmerged.IsAdapterMerged);
        float[][] mergedScores = Scores(merged.Transform(keyed));
        float[][] unmergedScores = Scores(unmerged.Transform(keyed));
        AssertClose(mergedScores, unmergedScores, 1e-5f);

        // The adapter alone, in Hugging Face PEFT's format, on a fresh copy of the base model gives the same scores.
        using var folder = new TemporaryFolder();
        unmerged.ExportAdapter(folder.File("adapter"));
        string config = File.ReadAllText(folder.File("adapter/adapter_config.json"));
        Assert.Contains("\"peft_type\": \"LORA\"", config);
        Assert.Contains("\"task_type\": \"SEQ_CLS\"", config);
        Assert.Contains("\"classifier\"", config);
        using var freshBase = Bert(seed: 3);
        using var peft = PeftModel.FromPretrained(freshBase, folder.File("adapter"));
        peft.eval();
        TokenizedBatch batch = Tokenizer.EncodeBatch(Rows(120, seed: 51).Select(r => r.Text).ToArray());
        using (no_grad())
        using (TokenizedTensors inputs = batch.ToTensors())
        using (Tensor probabilities = freshBase.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds).softmax(1))
        {
            float[] flat = probabilities.data<float>().ToArray();
            AssertClose(unmergedScores, Enumerable.Range(0, 120).Select(i => flat[(i * 3)..((i + 1) * 3)]).ToArray(), 1e-5f);
        }

        // Saved and loaded, the unmerged model keeps its adapter layers, its scores and its exportable adapter.
        string modelPath = folder.File("model.zip");
        _mlContext.Model.Save(unmerged, keyed.Schema, modelPath);
        using var loaded = Assert.IsType<PeftTextClassificationTransformer>(_mlContext.Model.Load(modelPath, out _));
        Assert.False(loaded.IsAdapterMerged);
        Assert.Equal(unmergedScores, Scores(loaded.Transform(keyed)));
        loaded.ExportAdapter(folder.File("again"));
        Assert.Equal(File.ReadAllBytes(folder.File("adapter/adapter_model.safetensors")), File.ReadAllBytes(folder.File("again/adapter_model.safetensors")));
        Assert.Equal(config, File.ReadAllText(folder.File("again/adapter_config.json")));

        // The merged model exports the same adapter.
        merged.ExportAdapter(folder.File("merged"));
        Assert.Equal(config, File.ReadAllText(folder.File("merged/adapter_config.json")));
    }

    [Fact]
    public void SentencePairsReadBothTextColumns()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(64, seed: 61));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        using var baseModel = Bert(seed: 3);

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.SecondTextColumnName = nameof(Review.Other); })).Fit(keyed);

        Assert.Equal(nameof(Review.Other), model.SecondTextColumnName);
        var single = _mlContext.Data.LoadFromEnumerable(new[] { new { Text = "great movie" } });
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(single));
        Assert.Contains("'Other'", missing.Message);

        var pairs = _mlContext.Data.LoadFromEnumerable(new[] { new { Text = "great movie", Other = "the plot" }, new { Text = "great movie", Other = "awful awful awful" } });
        float[][] scores = Scores(model.Transform(pairs));
        Assert.NotEqual(scores[0], scores[1]); // the second text reaches the model
        var engine = _mlContext.Model.CreatePredictionEngine<Review, Prediction>(model);
        Assert.Equal(scores[1][0], engine.Predict(new Review { Text = "great movie", Other = "awful awful awful" }).Score[0], 1e-5f);
    }

    [Fact]
    public void WithoutAPeftConfigEveryWeightIsTrainedAndThereIsNoAdapterToExport()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(48, seed: 71));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        using var baseModel = Bert(seed: 3);

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.Peft = null; o.LearningRate = 1e-3; })).Fit(keyed);

        Assert.False(model.HasAdapter);
        Assert.Equal(baseModel.parameters().Sum(p => p.numel()), model.TrainingResult!.TrainableParameterCount);
        Assert.Throws<InvalidOperationException>(() => model.ExportAdapter(Path.GetTempPath()));
    }

    [Fact]
    public void BFloat16TrainingGivesAFloat32ModelThatScoresLikeItsSavedCopy()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(48, seed: 75));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        using var baseModel = Bert(seed: 3);

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.Precision = Microsoft.ML.Peft.Training.Precision.TrainingPrecision.BFloat16; })).Fit(keyed);

        Assert.All(model.Model.Network.state_dict().Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        float[][] scores = Scores(model.Transform(keyed));
        Assert.All(scores.SelectMany(s => s), s => Assert.True(float.IsFinite(s)));
        using var folder = new TemporaryFolder();
        _mlContext.Model.Save(model, keyed.Schema, folder.File("bf16.zip"));
        using var loaded = Assert.IsType<PeftTextClassificationTransformer>(_mlContext.Model.Load(folder.File("bf16.zip"), out _));
        Assert.Equal(scores, Scores(loaded.Transform(keyed)));
    }

    [SkippableFact]
    public void TheContextsGpuSettingsReachTheEngineAndTheOptionsOverrideThem()
    {
        Skip.If(cuda.is_available(), "CUDA is available here, so a GPU request would not fall back");
        using var baseModel = Bert(seed: 3);
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(32, seed: 41));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        var log = new List<string>();
        var gpuContext = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };

        using (PeftTextClassificationTransformer model = gpuContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.Log = log.Add; })).Fit(keyed))
        {
            Assert.Contains(log, l => l.Contains("GPU device 0", StringComparison.Ordinal));
            Assert.Equal(32, model.Transform(keyed).GetColumn<uint>("PredictedLabel").Count());
        }

        // The context falls back; the options ask not to, and win.
        var refused = Assert.Throws<InvalidOperationException>(() => gpuContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.FallbackToCpu = false; })).Fit(keyed));
        Assert.Contains("FallbackToCpu", refused.Message);

        // A CPU context with a GPU asked for in the options: refused the same way unless the options allow the fallback.
        Assert.Throws<InvalidOperationException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.GpuDeviceId = 1; o.FallbackToCpu = false; })).Fit(keyed));
    }

    [SkippableFact]
    public void RealSentencesWithTheRealBertVocabularyTrainAndEvaluate()
    {
        string vocabPath = SharedData.Require("vocab/bert-base-uncased/vocab.txt");
        string sentences = SharedData.Require("text/sentiment-labelled-sentences/amazon_cells_labelled.txt");
        var rows = File.ReadLines(sentences).Take(200)
            .Select(line => line.Split('\t'))
            .Select(parts => new Review { Text = parts[0], Sentiment = parts[1] == "1" ? "positive" : "negative" })
            .ToList();
        BertTextTokenizer tokenizer = BertTextTokenizer.FromVocabFile(vocabPath);
        using (manual_seed(5))
        {
        }

        using var baseModel = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64,
            MaxPositionEmbeddings = 64, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, InitializerRange = 0.2, NumLabels = 2,
        });
        IDataView train = _mlContext.Data.LoadFromEnumerable(rows.Take(160));
        IDataView test = _mlContext.Data.LoadFromEnumerable(rows.Skip(160));
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftTextClassification(new PeftTextClassificationTrainer.Options
            {
                BaseModelInstance = baseModel, Tokenizer = tokenizer, MaxSequenceLength = 48, Epochs = 8, LearningRate = 3e-2,
                Peft = new Microsoft.ML.Peft.Tuners.Lora.LoraConfig { R = 8, LoraAlpha = 16 }, Seed = 3, Threads = 2, Log = _output.WriteLine,
            }))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedSentiment", "PredictedLabel"));

        var model = pipeline.Fit(train);
        MulticlassClassificationMetrics onTrain = _mlContext.MulticlassClassification.Evaluate(model.Transform(train));
        MulticlassClassificationMetrics onTest = _mlContext.MulticlassClassification.Evaluate(model.Transform(test));

        _output.WriteLine($"train accuracy {onTrain.MicroAccuracy:F3}, test accuracy {onTest.MicroAccuracy:F3}");
        _output.WriteLine(onTest.ConfusionMatrix.GetFormattedConfusionTable());
        using PeftTextClassificationTransformer classifier = model.OfType<PeftTextClassificationTransformer>().Single();
        Assert.Equal(30522, classifier.Tokenizer.VocabularySize);
        string[] predicted = model.Transform(test).GetColumn<string>("PredictedSentiment").ToArray();
        Assert.Equal(40, predicted.Length);
        Assert.All(predicted, p => Assert.Contains(p, new[] { "positive", "negative" }));
        Assert.Contains("positive", onTest.ConfusionMatrix.GetFormattedConfusionTable());
        Assert.Equal(40, onTest.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        Assert.True(onTrain.MicroAccuracy > 0.7, $"train accuracy {onTrain.MicroAccuracy}");
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static void AssertClose(float[][] expected, float[][] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
            {
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance, $"row {i} class {j}: {expected[i][j]} vs {actual[i][j]}");
            }
        }
    }
}
