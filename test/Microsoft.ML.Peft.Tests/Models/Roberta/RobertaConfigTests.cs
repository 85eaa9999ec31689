using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Roberta;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>Reading and validating RoBERTa <c>config.json</c> files.</summary>
public sealed class RobertaConfigTests
{
    private const string RobertaBaseConfig = """
        {
          "architectures": ["RobertaForMaskedLM"],
          "attention_probs_dropout_prob": 0.1,
          "bos_token_id": 0,
          "eos_token_id": 2,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 768,
          "initializer_range": 0.02,
          "intermediate_size": 3072,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 514,
          "model_type": "roberta",
          "num_attention_heads": 12,
          "num_hidden_layers": 12,
          "pad_token_id": 1,
          "type_vocab_size": 1,
          "vocab_size": 50265
        }
        """;

    [Fact]
    public void ReadsARobertaBaseConfig()
    {
        RobertaConfig config = RobertaConfig.FromJson(RobertaBaseConfig);

        Assert.Equal("roberta", config.ModelType);
        Assert.Equal(50265, config.VocabSize);
        Assert.Equal(514, config.MaxPositionEmbeddings);
        Assert.Equal(1, config.TypeVocabSize);
        Assert.Equal(1e-5, config.LayerNormEps);
        Assert.Equal(1, config.PadTokenId);
        Assert.Equal(2, config.NumLabels);
        Assert.Equal(2, config.AdditionalProperties["eos_token_id"].GetInt32());
    }

    [Fact]
    public void MissingFieldsTakeTransformersRobertaConfigDefaults()
    {
        RobertaConfig config = RobertaConfig.FromJson("{}");

        Assert.Equal("roberta", config.ModelType);
        Assert.Equal(50265, config.VocabSize);
        Assert.Equal(1, config.PadTokenId);
        Assert.Equal(512, config.MaxPositionEmbeddings);
        Assert.Equal(2, config.TypeVocabSize);
        Assert.Equal(1e-12, config.LayerNormEps);
    }

    [Theory]
    [InlineData("xlm-roberta")]
    [InlineData("camembert")]
    public void SameArchitectureModelTypesAreAccepted(string modelType)
    {
        Assert.Equal(modelType, RobertaConfig.FromJson($$"""{ "model_type": "{{modelType}}" }""").ModelType);
    }

    [Fact]
    public void RoundTripsThroughJson()
    {
        RobertaConfig original = RobertaConfig.FromJson(RobertaBaseConfig);

        RobertaConfig again = RobertaConfig.FromJson(original.ToJson());

        Assert.Equal(original.MaxPositionEmbeddings, again.MaxPositionEmbeddings);
        Assert.Equal(original.PadTokenId, again.PadTokenId);
        Assert.Equal("RobertaForMaskedLM", again.AdditionalProperties["architectures"][0].GetString());
    }

    [Theory]
    [InlineData("""{ "model_type": "bert" }""", "model_type 'bert' is not supported here; expected 'roberta' or 'xlm-roberta' or 'camembert'")]
    [InlineData("""{ "pad_token_id": null }""", "pad_token_id is required")]
    [InlineData("""{ "pad_token_id": 1, "max_position_embeddings": 2 }""", "leaves no position after pad_token_id (1)")]
    [InlineData("""{ "hidden_act": "mystery" }""", "hidden_act 'mystery' is not supported")]
    public void InvalidConfigsFailWithSpecificMessages(string json, string expectedMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => RobertaConfig.FromJson(json));

        Assert.Contains(expectedMessage, error.Message);
    }

    [Fact]
    public void BertModelRejectsARobertaConfig()
    {
        var error = Assert.Throws<ArgumentException>(() => new BertModel(RobertaTestData.TinyRoberta()));

        Assert.Contains("use RobertaModel", error.Message);
    }

    [Fact]
    public void BertConfigRejectsARobertaFile()
    {
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson(RobertaBaseConfig));

        Assert.Contains("model_type 'roberta'", error.Message);
    }
}
