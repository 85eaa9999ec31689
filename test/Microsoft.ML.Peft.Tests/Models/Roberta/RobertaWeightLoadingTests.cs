using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Roberta;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>Loading Hugging Face-style RoBERTa checkpoints (as in-memory tensor sources).</summary>
public sealed class RobertaWeightLoadingTests
{
    [Fact]
    public void MaskedLmCheckpointLoadsWithPoolerAndLmHeadReportedAsUnexpected()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var encoder = new RobertaModel(config, addPoolingLayer: true);
        Randomize(encoder, seed: 41);
        using var scope = NewDisposeScope();
        var maskedLm = StateDict(encoder).ToDictionary(p => "roberta." + p.Key, p => p.Value);
        maskedLm["lm_head.bias"] = zeros(config.VocabSize);
        maskedLm["lm_head.dense.weight"] = zeros(config.HiddenSize, config.HiddenSize);
        maskedLm["lm_head.layer_norm.weight"] = ones(config.HiddenSize);
        maskedLm["roberta.embeddings.position_ids"] = arange(config.MaxPositionEmbeddings, ScalarType.Int64).unsqueeze(0);

        using var model = RobertaForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(maskedLm, "masked LM"));

        Assert.Equal(
            ["lm_head.bias", "lm_head.dense.weight", "lm_head.layer_norm.weight", "roberta.pooler.dense.bias", "roberta.pooler.dense.weight"],
            model.LoadResult!.UnexpectedKeys);
        Assert.Equal(
            ["classifier.dense.bias", "classifier.dense.weight", "classifier.out_proj.bias", "classifier.out_proj.weight"],
            model.LoadResult.MissingKeys);
        Assert.True(Identical(
            encoder.state_dict()["encoder.layer.1.output.dense.weight"],
            model.state_dict()["roberta.encoder.layer.1.output.dense.weight"]));
    }

    [Fact]
    public void BareCheckpointLoadsIntoTheClassifier()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var encoder = new RobertaModel(config, addPoolingLayer: false);
        Randomize(encoder, seed: 42);

        using var model = RobertaForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(StateDict(encoder)));

        Assert.Empty(model.LoadResult!.UnexpectedKeys);
        Assert.Equal(4, model.LoadResult.MissingKeys.Count);
        Assert.Equal(encoder.state_dict().Count, model.LoadResult.LoadedKeys.Count);
    }

    [Fact]
    public void BFloat16ClassifierCheckpointReproducesTheReference()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var original = new RobertaForSequenceClassification(config);
        Randomize(original, seed: 43);
        using var scope = NewDisposeScope();
        var stored = StateDict(original).ToDictionary(p => p.Key, p => p.Value.to(ScalarType.BFloat16));
        var rounded = stored.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float32));

        using var model = RobertaForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(stored));
        model.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        Tensor logits = model.Forward(batch.IdsTensor(), batch.MaskTensor());

        Assert.Empty(model.LoadResult!.MissingKeys);
        AssertClose(RobertaTestData.ReferenceLogits(rounded, config, batch), ToDoubles(logits), 2e-5, "logits from bf16 weights");
    }

    [Fact]
    public void ClassifierCheckpointLoadsIntoTheEncoderReportingThePooler()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var classifier = new RobertaForSequenceClassification(config);

        using var encoder = RobertaModel.FromPretrained(config, new InMemoryTensorSource(StateDict(classifier)));

        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], encoder.LoadResult!.MissingKeys);
        Assert.Equal(4, encoder.LoadResult.UnexpectedKeys.Count);
        Assert.All(encoder.LoadResult.UnexpectedKeys, k => Assert.StartsWith("classifier.", k));
    }

    [Fact]
    public void BertCheckpointFails()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var encoder = new RobertaModel(config);
        var bertKeys = StateDict(encoder).ToDictionary(p => "bert." + p.Key, p => p.Value);

        var error = Assert.Throws<WeightLoadException>(() =>
            RobertaForSequenceClassification.FromPretrained(config, new InMemoryTensorSource(bertKeys, "bert checkpoint")));

        Assert.Contains("bert checkpoint", error.Message);
        Assert.Contains("roberta.embeddings.word_embeddings.weight", error.Message);
    }

    [Fact]
    public void HeadWithAnotherLabelCountFails()
    {
        using var twoLabels = new RobertaForSequenceClassification(RobertaTestData.TinyRoberta(numLabels: 2));

        var error = Assert.Throws<WeightLoadException>(() => RobertaForSequenceClassification.FromPretrained(
            RobertaTestData.TinyRoberta(numLabels: 5), new InMemoryTensorSource(StateDict(twoLabels))));

        Assert.Contains("'classifier.out_proj.weight' has 2 labels", error.Message);
    }
}
