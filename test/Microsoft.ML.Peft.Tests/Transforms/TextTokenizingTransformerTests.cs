using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Transforms;

namespace Microsoft.ML.Peft.Tests.Transforms;

/// <summary>
/// The transformer built on the ML.NET seam: it tokenises in a pipeline, saves with <c>mlContext.Model.Save</c> (tokenizer
/// included) and comes back from <c>mlContext.Model.Load</c>, in this process and in a separate one, as its own type.
/// </summary>
public sealed class TextTokenizingTransformerTests : IDisposable
{
    private static readonly string[] Vocabulary =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", ",", "!", "good", "movie", "##s", "bad", "not"];

    private readonly string _dir = Directory.CreateTempSubdirectory("peft-tokenize-").FullName;
    private readonly MLContext _mlContext = new(seed: 1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class TextRow
    {
        public string Text { get; set; } = "";

        public string Second { get; set; } = "";
    }

    private sealed class TokenizedRow
    {
        [VectorType]
        public long[] InputIds { get; set; } = [];

        [VectorType]
        public long[] TokenTypeIds { get; set; } = [];
    }

    private static readonly TextRow[] Rows =
    [
        new() { Text = "Hello, world!", Second = "good movies" },
        new() { Text = "not bad", Second = "" },
        new() { Text = "", Second = "hello" },
        new() { Text = "Good goods zebra", Second = "bad, bad movie!" },
    ];

    private static BertTextTokenizer TinyBert() =>
        BertTextTokenizer.FromVocab(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', Vocabulary) + "\n")));

    [Fact]
    public void TransformTokenisesEveryRowAsTheTokenizerDoes()
    {
        BertTextTokenizer tokenizer = TinyBert();
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows);
        var model = _mlContext.Transforms.Text.TokenizeForTransformer(tokenizer, "Text", "Second").Fit(data);

        TokenizedRow[] output = _mlContext.Data.CreateEnumerable<TokenizedRow>(model.Transform(data), reuseRowObject: false).ToArray();

        Assert.Equal(Rows.Length, output.Length);
        for (int i = 0; i < Rows.Length; i++)
        {
            TokenizedText expected = tokenizer.Encode(Rows[i].Text, Rows[i].Second);
            Assert.Equal(expected.InputIds.Select(id => (long)id), output[i].InputIds);
            Assert.Equal(expected.TokenTypeIds.Select(id => (long)id), output[i].TokenTypeIds);
        }

        // "Hello, world!" + "good movies" = [CLS] hello , world ! [SEP] good movie ##s [SEP]
        Assert.Equal(new long[] { 2, 5, 7, 6, 8, 3, 9, 10, 11, 3 }, output[0].InputIds);
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1 }, output[0].TokenTypeIds);
        Assert.Equal(new long[] { 2, 3, 5, 3 }, output[2].InputIds); // an empty first text keeps only its special tokens
    }

    [Fact]
    public void SavedModelLoadsInASeparateProcessAsItsOwnTypeWithIdenticalRows()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows);
        var model = _mlContext.Transforms.Text.TokenizeForTransformer(TinyBert(), "Text", "Second", maxLength: 8).Fit(data);
        string modelPath = Path.Combine(_dir, "model.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);
        string inputs = Path.Combine(_dir, "inputs.tsv");
        File.WriteAllLines(inputs, new[] { "Text\tSecond" }.Concat(Rows.Select(r => $"{r.Text}\t{r.Second}")));
        TokenizedRow[] expected = _mlContext.Data.CreateEnumerable<TokenizedRow>(model.Transform(data), reuseRowObject: false).ToArray();

        ModelLoadProbe.Result result = ModelLoadProbe.Run(modelPath, inputs, "InputIds", "TokenTypeIds");

        Assert.Equal(typeof(TextTokenizingTransformer).FullName, result.TransformerType);
        Assert.Equal(expected.Length, result.Rows.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].InputIds, result.Rows[i].GetProperty("InputIds").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(expected[i].TokenTypeIds, result.Rows[i].GetProperty("TokenTypeIds").EnumerateArray().Select(e => e.GetInt64()));
            Assert.True(expected[i].InputIds.Length <= 8);
        }
    }

    [Fact]
    public void LoadsInProcessAndWorksInAPredictionEngine()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows);
        var model = _mlContext.Transforms.Text.TokenizeForTransformer(TinyBert(), "Text").Fit(data);
        string modelPath = Path.Combine(_dir, "model.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);

        ITransformer loaded = _mlContext.Model.Load(modelPath, out DataViewSchema inputSchema);

        var tokenizing = Assert.IsType<TextTokenizingTransformer>(loaded);
        Assert.Equal("Text", tokenizing.InputColumnName);
        Assert.Null(tokenizing.SecondInputColumnName);
        Assert.NotNull(inputSchema.GetColumnOrNull("Text"));
        var engine = _mlContext.Model.CreatePredictionEngine<TextRow, TokenizedRow>(loaded);
        Assert.Equal(new long[] { 2, 13, 12, 3 }, engine.Predict(new TextRow { Text = "Not bad" }).InputIds);
    }

    [Fact]
    public void RobertaTokenizerSurvivesSaveAndLoad()
    {
        // A minimal byte-level BPE vocabulary: Ġ is the byte-level form of a space.
        var vocab = new Dictionary<string, int> { ["<s>"] = 0, ["<pad>"] = 1, ["</s>"] = 2, ["<unk>"] = 3, ["h"] = 4, ["i"] = 5, ["hi"] = 6, ["Ġ"] = 7, ["Ġhi"] = 8 };
        string vocabJson = System.Text.Json.JsonSerializer.Serialize(vocab);
        RobertaTextTokenizer tokenizer = RobertaTextTokenizer.FromStreams(
            new MemoryStream(Encoding.UTF8.GetBytes(vocabJson)), new MemoryStream(Encoding.UTF8.GetBytes("#version: 0.2\nh i\nĠ hi\n")));
        var rows = new[] { new TextRow { Text = "hi hi" } };
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        var model = _mlContext.Transforms.Text.TokenizeForTransformer(tokenizer, "Text").Fit(data);
        string modelPath = Path.Combine(_dir, "roberta.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);

        ITransformer loaded = _mlContext.Model.Load(modelPath, out _);
        IDataView output = loaded.Transform(data);

        Assert.Null(output.Schema.GetColumnOrNull("TokenTypeIds")); // RoBERTa has no segment ids
        long[] ids = output.GetColumn<VBuffer<long>>("InputIds").Single().DenseValues().ToArray();
        Assert.Equal(tokenizer.Encode("hi hi").InputIds.Select(id => (long)id), ids);
        Assert.Equal(new long[] { 0, 6, 8, 2 }, ids);
    }

    [Fact]
    public void SchemaProblemsNameTheColumn()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(new[] { new { Number = 1f, Text = "x" } });
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.Transforms.Text.TokenizeForTransformer(TinyBert(), "Review").Fit(data));
        Assert.Contains("'Review'", missing.Message);
        var wrongType = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.Transforms.Text.TokenizeForTransformer(TinyBert(), "Number").Fit(data));
        Assert.Contains("'Number'", wrongType.Message);
        Assert.Contains("String", wrongType.Message);
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _mlContext.Transforms.Text.TokenizeForTransformer(TinyBert(), "Text", "Number").GetOutputSchema(new SchemaShape(
            [
                SchemaShapeColumns.Create("Text", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false),
                SchemaShapeColumns.Create("Number", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false),
            ])));
        Assert.Contains("'Number'", shape.Message);
    }

    [SkippableFact]
    public void RealBertVocabularyInAPipeline()
    {
        string vocabPath = SharedData.Require("vocab/bert-base-uncased/vocab.txt");
        var tokenizer = BertTextTokenizer.FromVocabFile(vocabPath);
        IDataView data = _mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = "Hello, world!" } });
        IDataView output = _mlContext.Transforms.Text.TokenizeForTransformer(tokenizer, "Text").Fit(data).Transform(data);
        Assert.Equal(new long[] { 101, 7592, 1010, 2088, 999, 102 }, output.GetColumn<VBuffer<long>>("InputIds").Single().DenseValues());
    }
}
