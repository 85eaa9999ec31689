using Microsoft.ML.Peft.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>The state-dict keys are exactly transformers' names, in transformers' order, so checkpoints load by name.</summary>
public sealed class BertStateDictKeysTests
{
    private static readonly string[] LayerKeys =
    [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ];

    internal static readonly string[] TwoLayerBertModelKeys =
    [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.0.attention.self.query.bias",
        "encoder.layer.0.attention.self.key.weight",
        "encoder.layer.0.attention.self.key.bias",
        "encoder.layer.0.attention.self.value.weight",
        "encoder.layer.0.attention.self.value.bias",
        "encoder.layer.0.attention.output.dense.weight",
        "encoder.layer.0.attention.output.dense.bias",
        "encoder.layer.0.attention.output.LayerNorm.weight",
        "encoder.layer.0.attention.output.LayerNorm.bias",
        "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.0.intermediate.dense.bias",
        "encoder.layer.0.output.dense.weight",
        "encoder.layer.0.output.dense.bias",
        "encoder.layer.0.output.LayerNorm.weight",
        "encoder.layer.0.output.LayerNorm.bias",
        "encoder.layer.1.attention.self.query.weight",
        "encoder.layer.1.attention.self.query.bias",
        "encoder.layer.1.attention.self.key.weight",
        "encoder.layer.1.attention.self.key.bias",
        "encoder.layer.1.attention.self.value.weight",
        "encoder.layer.1.attention.self.value.bias",
        "encoder.layer.1.attention.output.dense.weight",
        "encoder.layer.1.attention.output.dense.bias",
        "encoder.layer.1.attention.output.LayerNorm.weight",
        "encoder.layer.1.attention.output.LayerNorm.bias",
        "encoder.layer.1.intermediate.dense.weight",
        "encoder.layer.1.intermediate.dense.bias",
        "encoder.layer.1.output.dense.weight",
        "encoder.layer.1.output.dense.bias",
        "encoder.layer.1.output.LayerNorm.weight",
        "encoder.layer.1.output.LayerNorm.bias",
        "pooler.dense.weight",
        "pooler.dense.bias",
    ];

    [Fact]
    public void BertModelHasExactlyTransformersKeysInOrder()
    {
        using var model = new BertModel(ModelTestData.TinyBert());

        Assert.Equal(TwoLayerBertModelKeys, model.state_dict().Keys.ToArray());
    }

    [Fact]
    public void BertModelWithoutPoolerHasNoPoolerKeys()
    {
        using var model = new BertModel(ModelTestData.TinyBert(), addPoolingLayer: false);

        Assert.Equal(TwoLayerBertModelKeys.Where(k => !k.StartsWith("pooler.", StringComparison.Ordinal)), model.state_dict().Keys);
    }

    [Fact]
    public void SequenceClassificationKeysAreBertPrefixedPlusClassifier()
    {
        using var model = new BertForSequenceClassification(ModelTestData.TinyBert(numLabels: 3));

        string[] expected = [.. TwoLayerBertModelKeys.Select(k => "bert." + k), "classifier.weight", "classifier.bias"];
        Assert.Equal(expected, model.state_dict().Keys.ToArray());
    }

    [Fact]
    public void ShapesFollowTheConfig()
    {
        BertConfig config = ModelTestData.TinyBert(numLabels: 5);
        using var model = new BertForSequenceClassification(config);
        var state = model.state_dict();

        Assert.Equal(new long[] { 40, 16 }, state["bert.embeddings.word_embeddings.weight"].shape);
        Assert.Equal(new long[] { 24, 16 }, state["bert.embeddings.position_embeddings.weight"].shape);
        Assert.Equal(new long[] { 2, 16 }, state["bert.embeddings.token_type_embeddings.weight"].shape);
        Assert.Equal(new long[] { 32, 16 }, state["bert.encoder.layer.1.intermediate.dense.weight"].shape);
        Assert.Equal(new long[] { 16, 32 }, state["bert.encoder.layer.1.output.dense.weight"].shape);
        Assert.Equal(new long[] { 5, 16 }, state["classifier.weight"].shape);
        Assert.All(state.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
    }

    [Fact]
    public void ProjectionsAreRealLinearModulesFindableByName()
    {
        using var model = new BertForSequenceClassification(ModelTestData.TinyBert());
        var modules = model.named_modules().ToDictionary(p => p.name, p => p.module);

        foreach (int layer in new[] { 0, 1 })
        {
            foreach (string name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense" })
            {
                Assert.IsType<Linear>(modules[$"bert.encoder.layer.{layer}.{name}"]);
            }
        }

        Assert.IsType<Linear>(modules["classifier"]);
        Assert.Equal("classifier", model.ClassifierModuleName);
        Assert.Equal(LayerKeys.Length * 2 + 5 + 2 + 2, model.state_dict().Count);
    }

    [Fact]
    public void NewModelUsesTransformersInitialisation()
    {
        using var model = new BertForSequenceClassification(ModelTestData.TinyBert());
        var state = model.state_dict();

        Assert.Equal(0.0, state["classifier.bias"].abs().max().item<float>());
        Assert.Equal(1.0, state["bert.encoder.layer.0.output.LayerNorm.weight"].min().item<float>());
        // padding_idx row (pad_token_id 0) of the word embeddings starts at zero.
        Assert.Equal(0.0, state["bert.embeddings.word_embeddings.weight"][0].abs().max().item<float>());
        double std = state["bert.encoder.layer.0.attention.self.query.weight"].std().item<float>();
        Assert.InRange(std, 0.01, 0.03);
    }
}
