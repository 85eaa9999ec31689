using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>Loading Hugging Face-style checkpoints (as in-memory tensor sources) into the BERT models.</summary>
public sealed class BertWeightLoadingTests
{
    private const double LogitTolerance = 2e-5;

    [Fact]
    public void OwnCheckpointLoadsCompletelyAndReproducesTheLogits()
    {
        BertConfig config = TinyBert();
        using var original = Trained(config, seed: 21);
        var source = new InMemoryTensorSource(StateDict(original), "test checkpoint");

        using var loaded = BertForSequenceClassification.FromPretrained(config, source);

        Assert.NotNull(loaded.LoadResult);
        Assert.Empty(loaded.LoadResult!.MissingKeys);
        Assert.Empty(loaded.LoadResult.UnexpectedKeys);
        Assert.Equal(original.state_dict().Count, loaded.LoadResult.LoadedKeys.Count);
        AssertSameLogits(original, loaded);
    }

    [Fact]
    public void LegacyGammaBetaNamesAndPositionIdBuffersLoad()
    {
        BertConfig config = TinyBert();
        using var original = Trained(config, seed: 22);
        var legacy = StateDict(original).ToDictionary(
            p => p.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"),
            p => p.Value);
        using Tensor positionIds = arange(config.MaxPositionEmbeddings, ScalarType.Int64).unsqueeze(0);
        legacy["bert.embeddings.position_ids"] = positionIds;
        Assert.Contains("bert.encoder.layer.0.attention.output.LayerNorm.gamma", legacy.Keys);

        using var loaded = BertForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(legacy));

        Assert.Empty(loaded.LoadResult!.MissingKeys);
        Assert.Empty(loaded.LoadResult.UnexpectedKeys);
        AssertSameLogits(original, loaded);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void HalfPrecisionCheckpointsLoadIntoTheFloat32Model(ScalarType storedType)
    {
        BertConfig config = TinyBert();
        using var original = Trained(config, seed: 23);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> stored = StateDict(original).ToDictionary(p => p.Key, p => p.Value.to(storedType));
        Dictionary<string, Tensor> rounded = stored.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float32));

        using var loaded = BertForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(stored));

        foreach ((string key, Tensor value) in loaded.state_dict())
        {
            Assert.Equal(ScalarType.Float32, value.dtype);
            Assert.True(Identical(value, rounded[key]), $"{key} differs from the {storedType} value converted to float32.");
        }

        Batch batch = PaddedBatch(padId: 0);
        loaded.eval();
        Tensor logits = loaded.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        List<double> expected = BertForwardTests.ReferenceLogits(rounded, config, batch);
        AssertClose(expected, ToDoubles(logits), LogitTolerance, $"logits from {storedType} weights");
    }

    [Fact]
    public void BareBertModelCheckpointLoadsIntoTheClassifierWithAFreshHead()
    {
        BertConfig config = TinyBert();
        using var encoder = new BertModel(config);
        Randomize(encoder, seed: 24);
        encoder.eval();
        var source = new InMemoryTensorSource(StateDict(encoder), "bare encoder");

        using var loaded = BertForSequenceClassification.FromPretrained(config, source);

        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.LoadResult!.MissingKeys);
        Assert.Empty(loaded.LoadResult.UnexpectedKeys);
        Assert.Contains("bert.encoder.layer.1.output.LayerNorm.bias", loaded.LoadResult.LoadedKeys);
        loaded.eval();
        Batch batch = PaddedBatch(padId: 0);
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using EncoderOutput expected = encoder.Forward(ids, mask);
        using EncoderOutput actual = loaded.Bert.Forward(ids, mask);
        Assert.True(Identical(expected.PoolerOutput!, actual.PoolerOutput!));
    }

    [Fact]
    public void PretrainingHeadKeysAreReportedAsUnexpectedButDoNotFail()
    {
        BertConfig config = TinyBert();
        using var encoder = new BertModel(config);
        using var scope = NewDisposeScope();
        var pretraining = StateDict(encoder).ToDictionary(p => "bert." + p.Key, p => p.Value);
        pretraining["cls.predictions.bias"] = zeros(config.VocabSize);
        pretraining["cls.predictions.transform.dense.weight"] = zeros(config.HiddenSize, config.HiddenSize);
        pretraining["cls.predictions.transform.LayerNorm.gamma"] = ones(config.HiddenSize);
        pretraining["cls.seq_relationship.weight"] = zeros(2, config.HiddenSize);

        using var loaded = BertForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(pretraining));

        Assert.Equal(
            ["cls.predictions.bias", "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.dense.weight", "cls.seq_relationship.weight"],
            loaded.LoadResult!.UnexpectedKeys);
        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.LoadResult.MissingKeys);
    }

    [Fact]
    public void ClassifierCheckpointLoadsIntoTheBareEncoder()
    {
        BertConfig config = TinyBert();
        using var classifier = Trained(config, seed: 25);
        var source = new InMemoryTensorSource(StateDict(classifier));

        using var encoder = BertModel.FromPretrained(config, source);

        Assert.Empty(encoder.LoadResult!.MissingKeys);
        Assert.Equal(["classifier.bias", "classifier.weight"], encoder.LoadResult.UnexpectedKeys);
        Assert.True(Identical(
            encoder.state_dict()["encoder.layer.0.attention.self.query.weight"],
            classifier.state_dict()["bert.encoder.layer.0.attention.self.query.weight"]));
    }

    [Fact]
    public void MissingPoolerIsReportedNotFatal()
    {
        BertConfig config = TinyBert();
        using var withoutPooler = new BertModel(config, addPoolingLayer: false);
        var source = new InMemoryTensorSource(StateDict(withoutPooler));

        using var loaded = BertModel.FromPretrained(config, source);

        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], loaded.LoadResult!.MissingKeys);
    }

    [Fact]
    public void MissingEncoderWeightsFailNamingTheKeyAndSource()
    {
        BertConfig config = TinyBert();
        using var original = Trained(config, seed: 26);
        var state = StateDict(original);
        state.Remove("bert.encoder.layer.1.output.dense.weight");
        state.Remove("classifier.weight");

        var error = Assert.Throws<WeightLoadException>(() =>
            BertForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(state, "broken checkpoint")));

        Assert.Contains("broken checkpoint", error.Message);
        Assert.Contains("bert.encoder.layer.1.output.dense.weight", error.Message);
        Assert.DoesNotContain("classifier.weight", error.Message);
    }

    [Fact]
    public void CheckpointOfAnotherArchitectureFails()
    {
        BertConfig config = TinyBert();
        using var original = Trained(config, seed: 27);
        var renamed = StateDict(original).ToDictionary(p => p.Key.Replace("bert.", "roberta."), p => p.Value);

        var error = Assert.Throws<WeightLoadException>(() =>
            BertForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(renamed, "roberta checkpoint")));

        Assert.Contains("bert.embeddings.word_embeddings.weight", error.Message);
        Assert.Contains("roberta.embeddings", error.Message);
    }

    [Fact]
    public void ClassifierOfADifferentLabelCountFailsNamingBothCounts()
    {
        using var twoLabels = new BertForSequenceClassification(TinyBert(numLabels: 2));
        var source = new InMemoryTensorSource(StateDict(twoLabels), "two-label checkpoint");

        var error = Assert.Throws<WeightLoadException>(() =>
            BertForSequenceClassification.FromPretrained(TinyBert(numLabels: 4), source));

        Assert.Contains("two-label checkpoint", error.Message);
        Assert.Contains("'classifier.weight' has 2 labels", error.Message);
        Assert.Contains("num_labels 4", error.Message);
    }

    [Fact]
    public void OtherShapeMismatchesFailWithShapes()
    {
        using var wide = new BertModel(TinyBert());
        BertConfig narrowConfig = TinyBert();
        narrowConfig.IntermediateSize = 24;
        var source = new InMemoryTensorSource(StateDict(wide), "wide checkpoint");

        var error = Assert.Throws<WeightLoadException>(() => BertModel.FromPretrained(narrowConfig, source));

        Assert.Contains("wide checkpoint", error.Message);
        Assert.Contains("intermediate.dense", error.Message);
        Assert.Contains("has shape [32", error.Message);
        Assert.Contains("expects [24", error.Message);
    }

    [Fact]
    public void ConfigFileOverloadReadsTheConfig()
    {
        BertConfig config = TinyBert(numLabels: 4);
        using var original = Trained(config, seed: 28);
        string folder = Directory.CreateTempSubdirectory("peft-bert-config-").FullName;
        try
        {
            string configPath = Path.Combine(folder, "config.json");
            File.WriteAllText(configPath, config.ToJson());

            using var loaded = BertForSequenceClassification.FromPretrained(configPath, new InMemoryTensorSource(StateDict(original)));

            Assert.Equal(4, loaded.NumLabels);
            AssertSameLogits(original, loaded);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void FolderWithoutConfigFailsNamingTheFolder()
    {
        string folder = Directory.CreateTempSubdirectory("peft-bert-empty-").FullName;
        try
        {
            var error = Assert.Throws<FileNotFoundException>(() => BertForSequenceClassification.FromPretrained(folder));
            Assert.Contains(folder, error.Message);
            Assert.Contains("config.json", error.Message);
            Assert.Throws<DirectoryNotFoundException>(() => BertModel.FromPretrained(Path.Combine(folder, "absent")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static BertForSequenceClassification Trained(BertConfig config, int seed)
    {
        var model = new BertForSequenceClassification(config);
        Randomize(model, seed);
        model.eval();
        return model;
    }

    private static void AssertSameLogits(BertForSequenceClassification expected, BertForSequenceClassification actual)
    {
        Batch batch = PaddedBatch(padId: 0);
        using var scope = NewDisposeScope();
        expected.eval();
        actual.eval();
        Tensor a = expected.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        Tensor b = actual.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        Assert.True(Identical(a, b), "The loaded model's logits differ from the original's.");
    }
}
