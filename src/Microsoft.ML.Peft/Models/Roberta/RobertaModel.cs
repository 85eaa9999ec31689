using TorchSharp;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// A port of transformers' <c>RobertaModel</c>: BERT's encoder with the same state-dict keys (<c>embeddings.*</c>,
/// <c>encoder.layer.N.*</c>, optional <c>pooler.dense.*</c>), whose position ids start after the padding id and skip
/// padding tokens (transformers' <c>create_position_ids_from_input_ids</c>).
/// </summary>
public sealed class RobertaModel : BertStyleEncoderModel<RobertaConfig>
{
    /// <summary>The prefix transformers puts before this model's keys inside models with a head (<c>base_model_prefix</c>).</summary>
    public const string BaseModelPrefix = "roberta";

    private readonly long _paddingIndex;

    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="addPoolingLayer">Whether to add the <c>pooler</c>; RoBERTa's classification model has none.</param>
    public RobertaModel(RobertaConfig config, bool addPoolingLayer = true)
        // Arguments run left to right: the config is validated (so pad_token_id is set) before its padding id is read.
        : base(nameof(RobertaModel), Validated(config), addPoolingLayer, positionPaddingIndex: config.PadTokenId!.Value)
    {
        _paddingIndex = config.PadTokenId!.Value;
    }

    /// <summary>
    /// RoBERTa's position ids: each non-padding token gets padding_idx + (its 1-based index among the non-padding tokens
    /// of its row); padding tokens get padding_idx.
    /// </summary>
    /// <param name="inputIds">[batch, sequence] token ids.</param>
    /// <param name="paddingIndex">The padding token id (<c>pad_token_id</c>).</param>
    public static Tensor CreatePositionIdsFromInputIds(Tensor inputIds, long paddingIndex)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        using Scalar padding = paddingIndex;
        Tensor isToken = inputIds.ne(padding).to(ScalarType.Int64);
        Tensor counted = isToken.cumsum(1).mul_(isToken);
        return counted.PlusInPlace(paddingIndex).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config and the weights <see cref="CheckpointFiles.Open"/> finds there
    /// (a checkpoint of a model with a head, such as <c>RobertaForMaskedLM</c>, loads too; its head keys are reported as
    /// unexpected).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static RobertaModel FromPretrained(string path, bool addPoolingLayer = true) =>
        PretrainedFolder.Load(path, RobertaConfig.FromFile, configure: null, (config, weights) => FromPretrained(config, weights, addPoolingLayer));

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static RobertaModel FromPretrained(string configPath, ITensorSource weights, bool addPoolingLayer = true) =>
        FromPretrained(RobertaConfig.FromFile(configPath), weights, addPoolingLayer);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/> (keys with or without the
    /// <c>roberta.</c> prefix; legacy <c>LayerNorm.gamma/beta</c>; F16/BF16 tensors are converted). A pooler absent from
    /// the checkpoint keeps its initial values and is listed in <see cref="BertStyleEncoderModel{TConfig}.LoadResult"/>.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static RobertaModel FromPretrained(RobertaConfig config, ITensorSource weights, bool addPoolingLayer = true) =>
        LoadPretrained(() => new RobertaModel(config, addPoolingLayer), weights, BaseModelPrefix);

    /// <inheritdoc />
    /// <remarks>
    /// Padding tokens take position <c>pad_token_id</c> itself, so only the real tokens of a row need room in the table:
    /// a batch padded to a fixed length beyond it is fine, as in transformers.
    /// </remarks>
    private protected override Tensor CreateDefaultPositionIds(Tensor inputIds)
    {
        Tensor positions = CreatePositionIdsFromInputIds(inputIds, _paddingIndex);
        if (positions.numel() == 0)
        {
            return positions;
        }

        long highest;
        using (Tensor max = positions.max())
        {
            highest = max.item<long>();
        }

        if (highest >= Config.MaxPositionEmbeddings)
        {
            positions.Dispose();
            throw new ArgumentException(
                $"inputIds has a row of {highest - _paddingIndex} tokens that are not padding, but RoBERTa positions start after " +
                $"pad_token_id ({_paddingIndex}), so max_position_embeddings {Config.MaxPositionEmbeddings} allows at most " +
                $"{Config.MaxPositionEmbeddings - _paddingIndex - 1}.",
                nameof(inputIds));
        }

        return positions;
    }
}
