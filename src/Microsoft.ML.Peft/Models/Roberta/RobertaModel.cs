using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// A port of transformers' <c>RobertaModel</c>: BERT's encoder with the same state-dict keys (<c>embeddings.*</c>,
/// <c>encoder.layer.N.*</c>, optional <c>pooler.dense.*</c>), whose position ids start after the padding id and skip
/// padding tokens (transformers' <c>create_position_ids_from_input_ids</c>).
/// </summary>
public sealed class RobertaModel : nn.Module
{
    /// <summary>The prefix transformers puts before this model's keys inside models with a head (<c>base_model_prefix</c>).</summary>
    public const string BaseModelPrefix = "roberta";

    private readonly long _paddingIndex;

    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="addPoolingLayer">Whether to add the <c>pooler</c>; RoBERTa's classification model has none.</param>
    public RobertaModel(RobertaConfig config, bool addPoolingLayer = true)
        : base(nameof(RobertaModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        HasPooler = addPoolingLayer;
        _paddingIndex = config.PadTokenId!.Value;

        register_module("embeddings", new BertEmbeddings(config, positionPaddingIndex: _paddingIndex));
        register_module("encoder", new BertEncoder(config));
        if (addPoolingLayer)
        {
            register_module("pooler", new BertPooler(config));
        }

        HuggingFaceInitialization.InitializeLinearsAndLayerNorms(this, config.InitializerRange);
    }

    /// <summary>The architecture this model was built for.</summary>
    public RobertaConfig Config { get; }

    /// <summary>Whether the model has a pooler (and <see cref="EncoderOutput.PoolerOutput"/> is set).</summary>
    public bool HasPooler { get; }

    /// <summary>Which keys <c>FromPretrained</c> loaded, left missing or found unexpected; null when built from a config alone.</summary>
    public WeightLoadResult? LoadResult { get; private set; }

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
        Tensor isToken = inputIds.ne(paddingIndex).to(ScalarType.Int64);
        Tensor counted = isToken.cumsum(1).mul_(isToken);
        return counted.add_(paddingIndex).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config and the weights <see cref="CheckpointFiles.Open"/> finds there
    /// (a checkpoint of a model with a head, such as <c>RobertaForMaskedLM</c>, loads too; its head keys are reported as
    /// unexpected).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static RobertaModel FromPretrained(string path, bool addPoolingLayer = true)
    {
        RobertaConfig config = RobertaConfig.FromFile(PretrainedFolder.ConfigPath(path));
        using ITensorSource weights = CheckpointFiles.Open(path);
        return FromPretrained(config, weights, addPoolingLayer);
    }

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static RobertaModel FromPretrained(string configPath, ITensorSource weights, bool addPoolingLayer = true) =>
        FromPretrained(RobertaConfig.FromFile(configPath), weights, addPoolingLayer);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/> (keys with or without the
    /// <c>roberta.</c> prefix; legacy <c>LayerNorm.gamma/beta</c>; F16/BF16 tensors are converted). A pooler absent from
    /// the checkpoint keeps its initial values and is listed in <see cref="LoadResult"/>.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static RobertaModel FromPretrained(RobertaConfig config, ITensorSource weights, bool addPoolingLayer = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var model = new RobertaModel(config, addPoolingLayer);
        try
        {
            model.LoadResult = PretrainedWeightLoader.Load(
                model, weights, BaseModelPrefix, modelIsBase: true, key => key.StartsWith("pooler.", StringComparison.Ordinal));
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// Encodes a batch. Padding keys (mask 0) cannot be attended to. Without <paramref name="positionIds"/>, positions are
    /// derived from <paramref name="inputIds"/> (<see cref="CreatePositionIdsFromInputIds"/>), so padding must use
    /// <c>pad_token_id</c>.
    /// </summary>
    /// <param name="inputIds">[batch, sequence] token ids (int64 or int32).</param>
    /// <param name="attentionMask">[batch, sequence], 1 for tokens and 0 for padding; null attends everywhere.</param>
    /// <param name="tokenTypeIds">[batch, sequence] segment ids; null means all 0.</param>
    /// <param name="positionIds">[batch or 1, sequence] positions; null derives them from the padding.</param>
    /// <param name="outputHiddenStates">Whether to return the embedding output and every layer's output too.</param>
    public EncoderOutput Forward(
        Tensor inputIds,
        Tensor? attentionMask = null,
        Tensor? tokenTypeIds = null,
        Tensor? positionIds = null,
        bool outputHiddenStates = false)
    {
        EncoderInputs.CheckInputIds(inputIds, Config);
        if (tokenTypeIds is not null)
        {
            EncoderInputs.CheckTokenTypeIds(tokenTypeIds, inputIds, Config);
        }

        if (positionIds is not null)
        {
            EncoderInputs.CheckPositionIds(positionIds, inputIds, Config);
            return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positionIds, outputHiddenStates, HasPooler);
        }

        long sequence = inputIds.shape[1];
        if (_paddingIndex + sequence >= Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"inputIds has {sequence} tokens per sequence, but RoBERTa positions start after pad_token_id " +
                $"({_paddingIndex}), so max_position_embeddings {Config.MaxPositionEmbeddings} allows at most " +
                $"{Config.MaxPositionEmbeddings - _paddingIndex - 1}.",
                nameof(inputIds));
        }

        using Tensor positions = CreatePositionIdsFromInputIds(inputIds, _paddingIndex);
        return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positions, outputHiddenStates, HasPooler);
    }
}
