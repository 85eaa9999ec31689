using Microsoft.ML.Peft.Models.Bert;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// The architecture of a RoBERTa model: the same <c>config.json</c> fields as <see cref="BertConfig"/>, with roberta-base's
/// values as defaults (vocab_size 50265, pad_token_id 1, max_position_embeddings 514, type_vocab_size 1,
/// layer_norm_eps 1e-5). <c>model_type</c> may be <c>roberta</c>, or <c>xlm-roberta</c> / <c>camembert</c>, which share the
/// architecture.
/// </summary>
public class RobertaConfig : BertConfig
{
    /// <summary>Creates a configuration with roberta-base's architecture and two labels.</summary>
    public RobertaConfig()
    {
        ModelType = "roberta";
        VocabSize = 50265;
        PadTokenId = 1;
        MaxPositionEmbeddings = 514;
        TypeVocabSize = 1;
        LayerNormEps = 1e-5;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<string> AcceptedModelTypes => ["roberta", "xlm-roberta", "camembert"];

    /// <summary>Reads and validates a Hugging Face RoBERTa <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or describes an unsupported or inconsistent model.</exception>
    public static new RobertaConfig FromFile(string path) => ReadFile<RobertaConfig>(path);

    /// <summary>Parses and validates the text of a Hugging Face RoBERTa <c>config.json</c>.</summary>
    /// <exception cref="InvalidDataException">The text is not valid JSON or describes an unsupported or inconsistent model.</exception>
    public static new RobertaConfig FromJson(string json) => Parse<RobertaConfig>(json, "config JSON");

    /// <inheritdoc />
    protected override void ValidateArchitecture()
    {
        // Positions are counted from the padding id, so it must exist and leave room for at least one token.
        if (PadTokenId is not int pad)
        {
            Fail("pad_token_id is required: RoBERTa numbers positions from the padding id");
            return;
        }

        if (pad + 1 >= MaxPositionEmbeddings)
        {
            Fail($"max_position_embeddings ({MaxPositionEmbeddings}) leaves no position after pad_token_id ({pad})");
        }
    }
}
