using Microsoft.ML.Peft.Models.Bert;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// The architecture of a RoBERTa model: the same <c>config.json</c> fields as <see cref="BertConfig"/>, with the defaults of
/// transformers' <c>RobertaConfig</c> class (vocab_size 50265, pad_token_id 1, and BERT's max_position_embeddings 512,
/// type_vocab_size 2, layer_norm_eps 1e-12), so a <c>config.json</c> that omits a field is read as transformers reads it.
/// (roberta-base's own config.json sets 514, 1 and 1e-5 explicitly.) <c>model_type</c> may be <c>roberta</c>, or <c>xlm-roberta</c> / <c>camembert</c>, which share the
/// architecture.
/// </summary>
public class RobertaConfig : BertConfig
{
    /// <summary>Creates a configuration with transformers' RobertaConfig defaults and two labels.</summary>
    public RobertaConfig()
    {
        ModelType = "roberta";
        VocabSize = 50265;
        PadTokenId = 1;
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
