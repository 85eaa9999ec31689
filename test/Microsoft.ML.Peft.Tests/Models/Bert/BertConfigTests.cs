using System.Text.Json;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Tests.Infrastructure;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>Reading, validating and writing Hugging Face BERT <c>config.json</c> files.</summary>
public sealed class BertConfigTests
{
    private const string FineTunedConfig = """
        {
          "architectures": ["BertForSequenceClassification"],
          "attention_probs_dropout_prob": 0.05,
          "classifier_dropout": 0.2,
          "hidden_act": "gelu_new",
          "hidden_dropout_prob": 0.15,
          "hidden_size": 64,
          "id2label": { "0": "negative", "1": "neutral", "2": "positive" },
          "initializer_range": 0.01,
          "intermediate_size": 128,
          "label2id": { "negative": 0, "neutral": 1, "positive": 2 },
          "layer_norm_eps": 1e-7,
          "max_position_embeddings": 128,
          "model_type": "bert",
          "num_attention_heads": 4,
          "num_hidden_layers": 3,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "problem_type": "single_label_classification",
          "torch_dtype": "float32",
          "transformers_version": "4.40.0",
          "type_vocab_size": 2,
          "vocab_size": 1000
        }
        """;

    [Fact]
    public void ReadsEveryField()
    {
        BertConfig config = BertConfig.FromJson(FineTunedConfig);

        Assert.Equal("bert", config.ModelType);
        Assert.Equal(1000, config.VocabSize);
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(3, config.NumHiddenLayers);
        Assert.Equal(4, config.NumAttentionHeads);
        Assert.Equal(128, config.IntermediateSize);
        Assert.Equal("gelu_new", config.HiddenAct);
        Assert.Equal(0.15, config.HiddenDropoutProb);
        Assert.Equal(0.05, config.AttentionProbsDropoutProb);
        Assert.Equal(128, config.MaxPositionEmbeddings);
        Assert.Equal(2, config.TypeVocabSize);
        Assert.Equal(0.01, config.InitializerRange);
        Assert.Equal(1e-7, config.LayerNormEps);
        Assert.Equal(0, config.PadTokenId);
        Assert.Equal(0.2, config.ClassifierDropout);
        Assert.Equal(0.2, config.EffectiveClassifierDropout);
        Assert.Equal("single_label_classification", config.ProblemType);
        Assert.Equal(3, config.NumLabels);
        Assert.Equal("positive", config.Id2Label[2]);
        Assert.Equal(1, config.Label2Id["neutral"]);
        Assert.Equal("4.40.0", config.AdditionalProperties["transformers_version"].GetString());
    }

    [Fact]
    public void MissingFieldsTakeTransformersDefaults()
    {
        BertConfig config = BertConfig.FromJson("{}");

        Assert.Equal(30522, config.VocabSize);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(12, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal(3072, config.IntermediateSize);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(512, config.MaxPositionEmbeddings);
        Assert.Equal(2, config.TypeVocabSize);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(0, config.PadTokenId);
        Assert.Null(config.ClassifierDropout);
        Assert.Equal(0.1, config.EffectiveClassifierDropout);
        Assert.Null(config.ProblemType);
        Assert.Equal(2, config.NumLabels);
        Assert.Equal("LABEL_1", config.Id2Label[1]);
        Assert.Equal(0, config.Label2Id["LABEL_0"]);
    }

    [Fact]
    public void NumLabelsAloneCreatesGenericLabels()
    {
        BertConfig config = BertConfig.FromJson("""{ "num_labels": 4 }""");

        Assert.Equal(4, config.NumLabels);
        Assert.Equal(["LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"], config.Id2Label.OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal(3, config.Label2Id["LABEL_3"]);
    }

    [Fact]
    public void Id2LabelDecidesTheLabelCountAndDerivesLabel2Id()
    {
        // As in transformers, id2label wins over a disagreeing num_labels.
        BertConfig config = BertConfig.FromJson("""{ "num_labels": 5, "id2label": { "1": "yes", "0": "no" } }""");

        Assert.Equal(2, config.NumLabels);
        Assert.Equal(new Dictionary<string, int> { ["no"] = 0, ["yes"] = 1 }, config.Label2Id);
    }

    [Fact]
    public void SettingNumLabelsReplacesTheLabels()
    {
        BertConfig config = BertConfig.FromJson(FineTunedConfig);

        config.NumLabels = 3;
        Assert.Equal("neutral", config.Id2Label[1]);
        config.NumLabels = 2;
        Assert.Equal("LABEL_1", config.Id2Label[1]);
        Assert.Equal(2, config.Label2Id.Count);
    }

    [Fact]
    public void ToJsonRoundTripsAndKeepsUnknownFields()
    {
        BertConfig original = BertConfig.FromJson(FineTunedConfig);

        string json = original.ToJson();
        BertConfig again = BertConfig.FromJson(json);
        using JsonDocument document = JsonDocument.Parse(json);

        Assert.Equal(original.HiddenSize, again.HiddenSize);
        Assert.Equal(original.HiddenAct, again.HiddenAct);
        Assert.Equal(original.LayerNormEps, again.LayerNormEps);
        Assert.Equal(original.ClassifierDropout, again.ClassifierDropout);
        Assert.Equal(original.Id2Label, again.Id2Label);
        Assert.Equal(original.Label2Id, again.Label2Id);
        JsonElement root = document.RootElement;
        Assert.Equal("positive", root.GetProperty("id2label").GetProperty("2").GetString());
        Assert.Equal(64, root.GetProperty("hidden_size").GetInt32());
        Assert.Equal("BertForSequenceClassification", root.GetProperty("architectures")[0].GetString());
        Assert.Equal("float32", root.GetProperty("torch_dtype").GetString());
        Assert.False(root.TryGetProperty("num_labels", out _), "num_labels is derived from id2label and not written.");
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_new")]
    [InlineData("gelu_pytorch_tanh")]
    [InlineData("relu")]
    [InlineData("silu")]
    [InlineData("swish")]
    public void KnownActivationsAreAccepted(string activation)
    {
        Assert.Equal(activation, BertConfig.FromJson($$"""{ "hidden_act": "{{activation}}" }""").HiddenAct);
    }

    [Fact]
    public void UnknownActivationFailsNamingTheValueAndTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"peft-bert-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "hidden_act": "gelu_custom", "hidden_size": 16, "num_attention_heads": 2 }""");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => BertConfig.FromFile(path));

            Assert.Contains("hidden_act 'gelu_custom'", error.Message);
            Assert.Contains(path, error.Message);
            Assert.Contains("gelu_new", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{ "hidden_size": 30, "num_attention_heads": 4 }""", "hidden_size (30) is not a multiple of num_attention_heads (4)")]
    [InlineData("""{ "num_hidden_layers": 0 }""", "num_hidden_layers must be positive, got 0")]
    [InlineData("""{ "hidden_dropout_prob": 1.5 }""", "hidden_dropout_prob must be in [0, 1), got 1.5")]
    [InlineData("""{ "classifier_dropout": -0.1 }""", "classifier_dropout must be in [0, 1)")]
    [InlineData("""{ "layer_norm_eps": 0 }""", "layer_norm_eps must be a positive number")]
    [InlineData("""{ "pad_token_id": 30522 }""", "pad_token_id 30522 is outside the vocabulary")]
    [InlineData("""{ "position_embedding_type": "relative_key" }""", "position_embedding_type 'relative_key' is not supported")]
    [InlineData("""{ "problem_type": "ranking" }""", "problem_type 'ranking' is not one of")]
    [InlineData("""{ "model_type": "roberta" }""", "model_type 'roberta' is not supported here; expected 'bert'")]
    [InlineData("""{ "id2label": { "0": "a", "2": "c" } }""", "index 1 is absent")]
    [InlineData("""{ "id2label": { "zero": "a" } }""", "id2label key 'zero' is not an integer")]
    [InlineData("""{ "is_decoder": true }""", "is_decoder is true")]
    [InlineData("""{ "hidden_size": "large" }""", "hidden_size")]
    [InlineData("""{ "hidden_size": 64, """, "not a valid BertConfig config.json")]
    public void InvalidConfigsFailWithSpecificMessages(string json, string expectedMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson(json));

        Assert.Contains(expectedMessage, error.Message);
        Assert.Contains("config JSON", error.Message);
    }

    [Fact]
    public void ProgrammaticConfigIsValidatedWhenTheModelIsBuilt()
    {
        BertConfig config = ModelTestData.TinyBert();
        config.NumAttentionHeads = 3;

        var error = Assert.Throws<InvalidDataException>(() => new BertModel(config));

        Assert.Contains("hidden_size (16) is not a multiple of num_attention_heads (3)", error.Message);
    }

    [Fact]
    public void MissingFileFails()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "config.json");

        var error = Assert.Throws<FileNotFoundException>(() => BertConfig.FromFile(path));

        Assert.Contains(path, error.Message);
    }

    [SkippableFact]
    public void ReadsTheRealBertBaseUncasedConfig()
    {
        string path = SharedData.Require("vocab/bert-base-uncased/config.json");

        BertConfig config = BertConfig.FromFile(path);

        Assert.Equal(30522, config.VocabSize);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(12, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(2, config.NumLabels);
        Assert.True(config.AdditionalProperties.ContainsKey("architectures"));
    }
}
