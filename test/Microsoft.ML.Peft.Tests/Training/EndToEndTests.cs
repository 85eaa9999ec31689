using Microsoft.ML;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class EndToEndTests
{
    [Fact]
    public void ATinyBertFromScratchLearnsASyntheticTextTask()
    {
        // Rows come through an ML.NET IDataView with a key-typed label, as a trainer built on this loop will pass them.
        var mlContext = new MLContext(seed: 1);
        (List<string> texts, List<int> labels) = TinyText.Rows(600, seed: 17);
        IDataView raw = mlContext.Data.LoadFromEnumerable(texts.Zip(labels, (t, l) => new Review { Text = t, Sentiment = l == 1 ? "positive" : "negative" }));
        IDataView keyed = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(raw).Transform(raw);
        TextDataSet data = TextDataSet.FromDataView(keyed, TinyText.Tokenizer, nameof(Review.Text), "Label", TaskKind.Classification);

        var log = new List<string>();
        var progress = new List<TrainingProgress>();
        using var model = TinyText.Bert(seed: 3, hidden: 32, dropout: 0.1);
        var options = new TrainingOptions
        {
            Epochs = 6,
            BatchSize = 16,
            LearningRate = 3e-3,
            WarmupRatio = 0.1,
            ValidationFraction = 0.2,
            SelectionMetric = Microsoft.ML.Peft.Training.Metrics.EvaluationMetric.MacroF1,
            Threads = 2,
            Log = log.Add,
            Progress = new SynchronousProgress<TrainingProgress>(progress.Add),
        };
        TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), data);

        string table = string.Join("\n", log);
        Assert.True(result.Epochs[result.BestEpoch!.Value - 1].Validation!.Accuracy > 0.9, table);
        Assert.True(result.BestMetric > 0.9, table);
        Assert.Equal(6 * 30, result.Steps);
        Assert.Equal(result.Steps, progress.Count);
        Assert.Equal(Enumerable.Range(1, 180).Select(s => (long)s), progress.Select(p => p.Step));
        Assert.All(progress, p => Assert.True(p.SamplesPerSecond > 0 && p.LearningRate >= 0 && double.IsFinite(p.Loss)));
        Assert.Equal(TimeSpan.Zero, progress[^1].EstimatedRemaining);
        Assert.Contains(log, l => l.Contains("train_loss") && l.Contains("macro_f1"));
        Assert.Contains(log, l => l.StartsWith("Training BertForSequenceClassification on cpu", StringComparison.Ordinal));
        Assert.Equal(120, result.Epochs[0].Validation!.Rows);
    }

    private sealed class Review
    {
        public string Text { get; set; } = "";

        public string Sentiment { get; set; } = "";
    }
}
