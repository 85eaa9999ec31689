using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Models.Bert;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>RoBERTa's state-dict keys are transformers' names: BERT's encoder under <c>roberta.</c> and its own head.</summary>
public sealed class RobertaStateDictKeysTests
{
    [Fact]
    public void RobertaModelHasBertsKeys()
    {
        using var model = new RobertaModel(RobertaTestData.TinyRoberta());

        Assert.Equal(BertStateDictKeysTests.TwoLayerBertModelKeys, model.state_dict().Keys.ToArray());
        Assert.Equal(new long[] { 1, 16 }, model.state_dict()["embeddings.token_type_embeddings.weight"].shape);
    }

    [Fact]
    public void SequenceClassificationHasNoPoolerAndADenseOutProjHead()
    {
        using var model = new RobertaForSequenceClassification(RobertaTestData.TinyRoberta(numLabels: 3));

        string[] expected =
        [
            .. BertStateDictKeysTests.TwoLayerBertModelKeys
                .Where(k => !k.StartsWith("pooler.", StringComparison.Ordinal))
                .Select(k => "roberta." + k),
            "classifier.dense.weight", "classifier.dense.bias",
            "classifier.out_proj.weight", "classifier.out_proj.bias",
        ];
        Assert.Equal(expected, model.state_dict().Keys.ToArray());
        Assert.Equal(new long[] { 3, 16 }, model.state_dict()["classifier.out_proj.weight"].shape);
        var modules = model.named_modules().ToDictionary(p => p.name, p => p.module);
        Assert.IsType<Linear>(modules["classifier.dense"]);
        Assert.IsType<Linear>(modules["classifier.out_proj"]);
        Assert.IsType<Linear>(modules["roberta.encoder.layer.1.attention.self.value"]);
        Assert.Equal("classifier", model.ClassifierModuleName);
    }

    [Fact]
    public void PaddingRowsOfWordAndPositionTablesStartAtZero()
    {
        using var model = new RobertaModel(RobertaTestData.TinyRoberta());
        var state = model.state_dict();

        Assert.Equal(0f, state["embeddings.word_embeddings.weight"][1].abs().max().item<float>());
        Assert.Equal(0f, state["embeddings.position_embeddings.weight"][1].abs().max().item<float>());
        Assert.NotEqual(0f, state["embeddings.position_embeddings.weight"][2].abs().max().item<float>());
    }
}
