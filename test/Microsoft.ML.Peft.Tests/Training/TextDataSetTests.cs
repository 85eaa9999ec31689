using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Tests.Training;

public class TextDataSetTests
{
    [Fact]
    public void ReadsADataViewWithKeyLabelsOnce()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = new[]
        {
            new Row { Text = "good movie", Sentiment = "pos" },
            new Row { Text = "bad plot and bad actor", Sentiment = "neg" },
            new Row { Text = "the film", Sentiment = "neutral" },
            new Row { Text = "very good", Sentiment = "pos" },
        };
        IDataView keyed = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Sentiment))
            .Fit(mlContext.Data.LoadFromEnumerable(rows)).Transform(mlContext.Data.LoadFromEnumerable(rows));
        TextDataSet data = TextDataSet.FromDataView(keyed, TinyText.Tokenizer, nameof(Row.Text), "Label", TaskKind.Classification);

        Assert.Equal(4, data.Count);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([0, 1, 2, 0], data.ClassLabels!);
        Assert.Equal(TinyText.Tokenizer.Encode("bad plot and bad actor").InputIds, data[1].InputIds);
        Assert.Equal(7, data.GetLength(1));
    }

    [Fact]
    public void ReadsPairsAndRegressionTargets()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView view = mlContext.Data.LoadFromEnumerable(new[]
        {
            new PairRow { First = "good", Second = "bad film", Score = 0.5f },
            new PairRow { First = "the plot", Second = "a story", Score = -1.25f },
        });
        TextDataSet data = TextDataSet.FromDataView(view, TinyText.Tokenizer, nameof(PairRow.First), nameof(PairRow.Score), TaskKind.Regression, nameof(PairRow.Second));
        Assert.Equal(TaskKind.Regression, data.Kind);
        Assert.Equal([0.5f, -1.25f], data.Targets!);
        Assert.Equal(TinyText.Tokenizer.Encode("good", "bad film").TokenTypeIds, data[0].TokenTypeIds);
    }

    [Fact]
    public void NamesTheMissingOrMistypedColumn()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView view = mlContext.Data.LoadFromEnumerable(new[] { new PairRow { First = "good", Second = "bad", Score = 1f } });
        var missing = Assert.Throws<ArgumentException>(() => TextDataSet.FromDataView(view, TinyText.Tokenizer, "Review", nameof(PairRow.Score), TaskKind.Regression));
        Assert.Contains("'Review'", missing.Message);
        Assert.Contains("First", missing.Message);
        var mistyped = Assert.Throws<ArgumentException>(() => TextDataSet.FromDataView(view, TinyText.Tokenizer, nameof(PairRow.Score), nameof(PairRow.Score), TaskKind.Regression));
        Assert.Contains("must be text", mistyped.Message);
        var fractional = Assert.Throws<InvalidDataException>(() =>
            TextDataSet.FromDataView(mlContext.Data.LoadFromEnumerable(new[] { new PairRow { First = "a", Second = "b", Score = 0.5f } }), TinyText.Tokenizer, nameof(PairRow.First), nameof(PairRow.Score), TaskKind.Classification));
        Assert.Contains("Row 0", fractional.Message);
    }

    [Fact]
    public void InMemoryRowsAreCheckedUpFront()
    {
        Assert.Contains("Label 1 is -1", Assert.Throws<ArgumentException>(() => TextDataSet.ForClassification(TinyText.Tokenizer, ["good", "bad"], [0, -1])).Message);
        Assert.Contains("differ in length", Assert.Throws<ArgumentException>(() => TextDataSet.ForClassification(TinyText.Tokenizer, ["good", "bad"], [0])).Message);
        Assert.Contains("Text 1 is null", Assert.Throws<ArgumentException>(() => TextDataSet.ForClassification(TinyText.Tokenizer, ["good", null!], [0, 1])).Message);
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";

        public string Sentiment { get; set; } = "";
    }

    private sealed class PairRow
    {
        public string First { get; set; } = "";

        public string Second { get; set; } = "";

        public float Score { get; set; }
    }
}
