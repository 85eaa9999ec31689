using Microsoft.ML.Data;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Trainers;
using Xunit.Abstractions;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>The multiclass text trainer in ML.NET pipelines: learning, evaluation, cross-validation, schema checks.</summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PeftTextClassificationTrainerTests
{
    private readonly ITestOutputHelper _output;
    private readonly MLContext _mlContext = new(seed: 1);

    public PeftTextClassificationTrainerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void APipelineWithKeysLearnsTheTaskAndEvaluateShowsTheClassNames()
    {
        using var baseModel = Bert(seed: 3);
        IDataView train = _mlContext.Data.LoadFromEnumerable(Rows(240, seed: 11));
        IDataView test = _mlContext.Data.LoadFromEnumerable(Rows(60, seed: 12));
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(_mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel, o => o.Log = _output.WriteLine)))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedSentiment", "PredictedLabel"));

        var model = pipeline.Fit(train);
        IDataView scored = model.Transform(test);
        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored);

        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        _output.WriteLine(table);
        Assert.True(metrics.MacroAccuracy > 0.9, table);
        foreach (string name in Classes)
        {
            Assert.Contains(name, table);
        }

        string[] predicted = scored.GetColumn<string>("PredictedSentiment").ToArray();
        string[] actual = test.GetColumn<string>(nameof(Review.Sentiment)).ToArray();
        Assert.True(predicted.Zip(actual).Count(p => p.First == p.Second) >= 54, string.Join(", ", predicted));
        Assert.All(predicted, p => Assert.Contains(p, Classes));
    }
}
