using System.Collections.Concurrent;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Transforms;
using Xunit.Abstractions;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>
/// The multiclass text trainer in ML.NET pipelines, on one model trained by <see cref="TrainedTextClassifier"/>:
/// learning, evaluation with class names, annotations as ML.NET's own trainers, saving and loading (in this process
/// and another), prediction engines, concurrent use, and what happens with unusual rows.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PeftTextClassificationTrainerTests : IClassFixture<TrainedTextClassifier>
{
    private readonly TrainedTextClassifier _trained;
    private readonly ITestOutputHelper _output;
    private readonly MLContext _mlContext;

    public PeftTextClassificationTrainerTests(TrainedTextClassifier trained, ITestOutputHelper output)
    {
        _trained = trained;
        _output = output;
        _mlContext = trained.MLContext;
    }

    [Fact]
    public void TheModelLearnsTheTaskAndEvaluateShowsTheClassNames()
    {
        var toNames = _mlContext.Transforms.Conversion.MapKeyToValue("PredictedSentiment", "PredictedLabel").Fit(_trained.Model.Transform(_trained.Test));
        IDataView scored = toNames.Transform(_trained.Model.Transform(_trained.Test));

        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored);

        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        _output.WriteLine(string.Join("\n", _trained.Log));
        _output.WriteLine(table);
        Assert.True(metrics.MacroAccuracy > 0.9, table);
        Assert.All(Classes, name => Assert.Contains(name, table));
        string[] predicted = scored.GetColumn<string>("PredictedSentiment").ToArray();
        Assert.True(predicted.Zip(_trained.TestRows).Count(p => p.First == p.Second.Sentiment) >= 54, string.Join(", ", predicted));
        Assert.Equal(3, _trained.Classifier.ClassCount);
        Assert.Equal(Classes.OrderBy(c => c), _trained.Classifier.ClassNames.OrderBy(c => c));
        Assert.NotNull(_trained.Classifier.TrainingResult);
        Assert.True(_trained.Classifier.IsAdapterMerged);
        Assert.True(_trained.Classifier.HasAdapter);
    }

    [Fact]
    public void OutputColumnsCarryTheAnnotationsOfMLNetsOwnMulticlassTrainer()
    {
        var reference = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(_mlContext.Transforms.Text.FeaturizeText("Features", nameof(Review.Text)))
            .Append(_mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 2));
        DataViewSchema expected = reference.Fit(_trained.Train).Transform(_trained.Train).Schema;
        DataViewSchema actual = _trained.Model.Transform(_trained.Train).Schema;

        foreach (string column in new[] { "Score", "PredictedLabel" })
        {
            Assert.Equal(expected[column].Type, actual[column].Type);
            Assert.Equal(AnnotationSummary(expected[column]), AnnotationSummary(actual[column]));
        }

        // The estimator's promised shape has the same annotations as the built-in trainer's.
        SchemaShape keyed = SchemaShapeColumns.FromSchema(_mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(_trained.Train).Transform(_trained.Train).Schema);
        SchemaShape ours = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel)).GetOutputSchema(keyed);
        SchemaShape theirs = reference.GetOutputSchema(SchemaShapeColumns.FromSchema(_trained.Train.Schema));
        foreach (string column in new[] { "Score", "PredictedLabel" })
        {
            SchemaShape.Column mine = Assert.Single(ours, c => c.Name == column);
            SchemaShape.Column reference2 = Assert.Single(theirs, c => c.Name == column);
            Assert.Equal((reference2.Kind, reference2.ItemType, reference2.IsKey), (mine.Kind, mine.ItemType, mine.IsKey));
            Assert.Equal(reference2.Annotations.Select(a => $"{a.Name}:{a.Kind}:{a.ItemType}").Order(), mine.Annotations.Select(a => $"{a.Name}:{a.Kind}:{a.ItemType}").Order());
        }
    }

    [Fact]
    public void ANumericKeyedLabelGivesScoresWithoutSlotNamesAsMLNetsOwnTrainer()
    {
        // ML.NET names the score slots only when the key values are text; numeric key values stay as TrainingLabelValues.
        var key = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Rating));
        var reference = key.Append(_mlContext.Transforms.Text.FeaturizeText("Features", nameof(Review.Text)))
            .Append(_mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 2));
        var ours = key.Append(_mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel, o => o.Epochs = 1)));
        DataViewSchema expected = reference.Fit(_trained.Train).Transform(_trained.Train).Schema;
        var model = ours.Fit(_trained.Train);
        using (model.LastTransformer)
        {
            DataViewSchema actual = model.Transform(_trained.Train).Schema;
            Assert.Null(actual["Score"].Annotations.Schema.GetColumnOrNull("SlotNames"));
            Assert.Equal(
                expected["Score"].Annotations.Schema.Select(a => $"{a.Name}:{a.Type}").Order(),
                actual["Score"].Annotations.Schema.Select(a => $"{a.Name}:{a.Type}").Order());
            SchemaShape shape = ours.GetOutputSchema(SchemaShapeColumns.FromSchema(_trained.Train.Schema));
            Assert.DoesNotContain(Assert.Single(shape, c => c.Name == "Score").Annotations, a => a.Name == "SlotNames");
        }
    }

    [Fact]
    public void SavedModelLoadsInASeparateProcessAsItsOwnTypeWithIdenticalRows()
    {
        using var folder = new TemporaryFolder();
        string modelPath = folder.File("model.zip");
        IDataView keyed = _trained.KeyMapping.Transform(_trained.Test);
        _mlContext.Model.Save(_trained.Classifier, keyed.Schema, modelPath);
        string inputs = folder.File("inputs.tsv");
        // An Id column keeps the row with an empty text from being a blank line, which text loaders skip.
        File.WriteAllLines(inputs, new[] { "Text\tId" }.Concat(_trained.TestRows.Select((r, i) => $"{r.Text}\t{i}")).Append("\t60"));
        IDataView texts = _mlContext.Data.LoadFromTextFile(inputs, [new TextLoader.Column("Text", DataKind.String, 0), new TextLoader.Column("Id", DataKind.String, 1)], hasHeader: true);
        Prediction[] expected = _mlContext.Data.CreateEnumerable<Prediction>(_trained.Classifier.Transform(texts), reuseRowObject: false).ToArray();

        ModelLoadProbe.Result result = ModelLoadProbe.Run(modelPath, inputs, "Score", "PredictedLabel");

        Assert.Equal(typeof(PeftTextClassificationTransformer).FullName, result.TransformerType);
        Assert.Equal(expected.Length, result.Rows.Count);
        Assert.Equal(61, expected.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Score, result.Rows[i].GetProperty("Score").EnumerateArray().Select(e => e.GetSingle()));
            Assert.Equal(expected[i].PredictedLabel, result.Rows[i].GetProperty("PredictedLabel").GetUInt32());
        }
    }

    [Fact]
    public void LoadedInProcessItKeepsItsSettingsClassNamesAndScores()
    {
        using var folder = new TemporaryFolder();
        string modelPath = folder.File("model.zip");
        _mlContext.Model.Save(_trained.Model, _trained.Train.Schema, modelPath);

        ITransformer loaded = _mlContext.Model.Load(modelPath, out DataViewSchema inputSchema);

        var chain = Assert.IsType<TransformerChain<ITransformer>>(loaded);
        using var classifier = Assert.IsType<PeftTextClassificationTransformer>(chain.LastTransformer);
        Assert.Equal(_trained.Classifier.ClassNames, classifier.ClassNames);
        Assert.Equal(_trained.Classifier.MaxSequenceLength, classifier.MaxSequenceLength);
        Assert.Equal(8, classifier.InferenceBatchSize);
        Assert.Equal("Text", classifier.TextColumnName);
        Assert.Null(classifier.TrainingResult);
        Assert.True(classifier.HasAdapter);
        Assert.NotNull(inputSchema.GetColumnOrNull(nameof(Review.Sentiment)));
        Assert.Equal(Scores(_trained.Model.Transform(_trained.Test)), Scores(loaded.Transform(_trained.Test)));

        // Class names survive: MapKeyToValue after the loaded model gives the label strings.
        IDataView named = _mlContext.Transforms.Conversion.MapKeyToValue("Name", "PredictedLabel").Fit(loaded.Transform(_trained.Test)).Transform(loaded.Transform(_trained.Test));
        Assert.All(named.GetColumn<string>("Name"), name => Assert.Contains(name, Classes));
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        named.Schema["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(_trained.Classifier.ClassNames, slotNames.DenseValues().Select(s => s.ToString()));
    }

    [Fact]
    public void APredictionEngineGivesTheScoresOfTransformRowByRow()
    {
        var engine = _mlContext.Model.CreatePredictionEngine<Review, Prediction>(_trained.Model);
        Prediction[] batched = _mlContext.Data.CreateEnumerable<Prediction>(_trained.Model.Transform(_trained.Test), reuseRowObject: false).ToArray();

        for (int i = 0; i < _trained.TestRows.Count; i++)
        {
            Prediction single = engine.Predict(_trained.TestRows[i]);
            Assert.Equal(batched[i].PredictedLabel, single.PredictedLabel);
            Assert.Equal(batched[i].Score.Length, single.Score.Length);
            for (int c = 0; c < single.Score.Length; c++)
            {
                // One row alone has other padding than in its batch; the masked padding changes only rounding.
                Assert.Equal(batched[i].Score[c], single.Score[c], 1e-5f);
            }
        }
    }

    [Fact]
    public void TransformFromEightThreadsAtOnceEqualsTheSequentialOutput()
    {
        float[][] sequential = Scores(_trained.Model.Transform(_trained.Test));
        var results = new ConcurrentBag<float[][]>();
        var engineResults = new ConcurrentBag<uint[]>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            results.Add(Scores(_trained.Model.Transform(_trained.Test)));
            var engine = _mlContext.Model.CreatePredictionEngine<Review, Prediction>(_trained.Model);
            engineResults.Add(_trained.TestRows.Select(r => engine.Predict(r).PredictedLabel).ToArray());
        });

        Assert.Equal(8, results.Count);
        Assert.All(results, r => Assert.Equal(sequential, r));
        uint[] labels = sequential.Select(ScoreOutputs.ArgMaxKey).ToArray();
        Assert.All(engineResults, r => Assert.Equal(labels, r));
    }

    [Fact]
    public void EmptyAndMissingTextsAreScoredAsTheEmptyText()
    {
        var engine = _mlContext.Model.CreatePredictionEngine<Review, Prediction>(_trained.Model);
        Prediction empty = engine.Predict(new Review { Text = "" });
        Prediction missing = engine.Predict(new Review { Text = null! });
        Prediction specialOnly = engine.Predict(new Review { Text = "   " });

        Assert.Equal(empty.Score, missing.Score);
        Assert.Equal(empty.Score, specialOnly.Score);
        Assert.InRange(empty.PredictedLabel, 1u, 3u);
        Assert.Equal(1.0, empty.Score.Sum(), 1e-5);
        Assert.All(empty.Score, s => Assert.True(float.IsFinite(s)));

        IDataView rows = _mlContext.Data.LoadFromEnumerable(new[] { new Review { Text = "" }, new Review { Text = "great" } });
        Prediction[] batched = _mlContext.Data.CreateEnumerable<Prediction>(_trained.Model.Transform(rows), reuseRowObject: false).ToArray();
        Assert.Equal(empty.Score[0], batched[0].Score[0], 1e-5f);
    }

    [Fact]
    public void TheBaseModelInstanceIsATemplateThatFitLeavesUntouched()
    {
        // The template was built as Bert(seed: 3); after training a copy of it, it still holds exactly those weights.
        using var fresh = Bert(seed: 3);
        var original = fresh.state_dict();
        var template = _trained.BaseModel.state_dict();
        Assert.Equal(original.Keys, template.Keys);
        foreach ((string key, TorchSharp.torch.Tensor value) in template)
        {
            Assert.Equal(original[key].data<float>().ToArray(), value.data<float>().ToArray());
        }

        Assert.All(_trained.BaseModel.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void SchemaErrorsNameTheColumnAndTheExpectedType()
    {
        var trainer = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel, o => o.LabelColumnName = nameof(Review.Sentiment)));
        var notKey = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(_trained.Train));
        Assert.Contains("'Sentiment'", notKey.Message);
        Assert.Contains("key", notKey.Message);
        Assert.Contains("MapValueToKey", notKey.Message);
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(SchemaShapeColumns.FromSchema(_trained.Train.Schema)));
        Assert.Contains("'Sentiment'", shape.Message);

        IDataView keyed = _trained.KeyMapping.Transform(_trained.Train);
        var noText = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel, o => o.TextColumnName = "Review")).Fit(keyed));
        Assert.Contains("'Review'", noText.Message);
        var notText = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel, o => o.TextColumnName = nameof(Review.Rating))).Fit(keyed));
        Assert.Contains("'Rating'", notText.Message);
        Assert.Contains("String", notText.Message);
        var noLabel = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(_trained.BaseModel, o => o.LabelColumnName = "Class")).Fit(keyed));
        Assert.Contains("'Class'", noLabel.Message);

        IDataView numbers = _mlContext.Data.LoadFromEnumerable(new[] { new { Text = 1f } });
        var atPrediction = Assert.Throws<ArgumentOutOfRangeException>(() => _trained.Classifier.Transform(numbers));
        Assert.Contains("'Text'", atPrediction.Message);
        Assert.Contains("String", atPrediction.Message);
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static string AnnotationSummary(DataViewSchema.Column column) => string.Join("; ", column.Annotations.Schema.OrderBy(a => a.Name).Select(a =>
    {
        string value = a.Type switch
        {
            TextDataViewType => Read<ReadOnlyMemory<char>>(column, a.Name).ToString(),
            KeyDataViewType => Read<uint>(column, a.Name).ToString(),
            BooleanDataViewType => Read<bool>(column, a.Name).ToString(),
            VectorDataViewType { ItemType: TextDataViewType } => string.Join(",", Read<VBuffer<ReadOnlyMemory<char>>>(column, a.Name).DenseValues()),
            _ => "?",
        };
        return $"{a.Name} ({a.Type}) = {value}";
    }));

    private static T Read<T>(DataViewSchema.Column column, string name)
    {
        T value = default!;
        column.Annotations.GetValue(name, ref value);
        return value;
    }
}
