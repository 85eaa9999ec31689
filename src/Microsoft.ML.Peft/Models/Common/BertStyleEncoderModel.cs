using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// The bare encoder that <see cref="BertModel"/> and <see cref="Roberta.RobertaModel"/> share: transformers'
/// <c>embeddings</c>, <c>encoder</c> and optional <c>pooler</c> submodules under their state-dict names, the loading of
/// Hugging Face checkpoints, and the forward pass. The two models differ only in their position ids.
/// </summary>
/// <typeparam name="TConfig">The configuration type of the model.</typeparam>
public abstract class BertStyleEncoderModel<TConfig> : nn.Module
    where TConfig : BertConfig
{
    /// <param name="name">The module name.</param>
    /// <param name="config">The architecture, already validated (see <see cref="Validated"/>).</param>
    /// <param name="addPoolingLayer">Whether to add the <c>pooler</c> (tanh(dense(first token))).</param>
    /// <param name="positionPaddingIndex">The position table's padding row (RoBERTa's), or null.</param>
    private protected BertStyleEncoderModel(string name, TConfig config, bool addPoolingLayer, long? positionPaddingIndex)
        : base(name)
    {
        Config = config;
        HasPooler = addPoolingLayer;

        register_module("embeddings", new BertEmbeddings(config, positionPaddingIndex));
        register_module("encoder", new BertEncoder(config));
        if (addPoolingLayer)
        {
            register_module("pooler", new BertPooler(config));
        }

        HuggingFaceInitialization.InitializeLinearsAndLayerNorms(this, config.InitializerRange);
    }

    /// <summary>The architecture this model was built for.</summary>
    public TConfig Config { get; }

    /// <summary>Whether the model has a pooler (and <see cref="EncoderOutput.PoolerOutput"/> is set).</summary>
    public bool HasPooler { get; }

    /// <summary>Which keys <c>FromPretrained</c> loaded, left missing or found unexpected; null when built from a config alone.</summary>
    public WeightLoadResult? LoadResult { get; private set; }

    /// <summary>
    /// Encodes a batch. Padding keys (mask 0) cannot be attended to; outputs at padded positions are computed but
    /// meaningless, as in transformers.
    /// </summary>
    /// <param name="inputIds">[batch, sequence] token ids (int64 or int32).</param>
    /// <param name="attentionMask">[batch, sequence], 1 for tokens and 0 for padding; null attends everywhere.</param>
    /// <param name="tokenTypeIds">[batch, sequence] segment ids; null means all 0.</param>
    /// <param name="positionIds">
    /// [batch or 1, sequence] positions; null lets the model number them: 0..sequence-1 for BERT, and for RoBERTa from
    /// the padding (<see cref="Roberta.RobertaModel.CreatePositionIdsFromInputIds"/>, so padding must use
    /// <c>pad_token_id</c>).
    /// </param>
    /// <param name="outputHiddenStates">Whether to return the embedding output and every layer's output too.</param>
    public EncoderOutput Forward(
        Tensor inputIds,
        Tensor? attentionMask = null,
        Tensor? tokenTypeIds = null,
        Tensor? positionIds = null,
        bool outputHiddenStates = false) =>
        Encode(inputIds, attentionMask, tokenTypeIds, positionIds, outputHiddenStates, firstTokenOnly: false);

    /// <summary>
    /// Encodes a batch for a head that reads the first token only (the pooler, sequence-classification heads): the last
    /// layer computes that position alone (it still attends to all of them), so <see cref="EncoderOutput.LastHiddenState"/>
    /// is [batch, 1, hidden] and equals the first row of <see cref="Forward"/>'s, for about one layer's work less
    /// (most of a layer's products are per position). The pooled output is the same.
    /// </summary>
    internal EncoderOutput ForwardFirstToken(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? positionIds) =>
        Encode(inputIds, attentionMask, tokenTypeIds, positionIds, outputHiddenStates: false, firstTokenOnly: true);

    private EncoderOutput Encode(
        Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? positionIds, bool outputHiddenStates, bool firstTokenOnly)
    {
        EncoderInputs.CheckInputIds(inputIds, Config);
        if (tokenTypeIds is not null)
        {
            EncoderInputs.CheckTokenTypeIds(tokenTypeIds, inputIds, Config);
        }

        if (positionIds is not null)
        {
            EncoderInputs.CheckPositionIds(positionIds, inputIds, Config);
            return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positionIds, outputHiddenStates, HasPooler, firstTokenOnly);
        }

        using Tensor positions = CreateDefaultPositionIds(inputIds);
        return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positions, outputHiddenStates, HasPooler, firstTokenOnly);
    }

    /// <summary>Checks <paramref name="config"/> before the constructor builds anything from it.</summary>
    private protected static TConfig Validated(TConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return config;
    }

    /// <summary>
    /// Builds a model with <paramref name="create"/> and loads <paramref name="weights"/> into it (keys with or without
    /// <paramref name="basePrefix"/>). A pooler absent from the checkpoint keeps its initial values and is listed in
    /// <see cref="LoadResult"/>.
    /// </summary>
    private protected static TModel LoadPretrained<TModel>(Func<TModel> create, ITensorSource weights, string basePrefix)
        where TModel : BertStyleEncoderModel<TConfig>
    {
        ArgumentNullException.ThrowIfNull(weights);
        return PretrainedWeightLoader.CreateAndLoad(
            create,
            model => model.LoadResult = PretrainedWeightLoader.Load(
                model, weights, basePrefix, modelIsBase: true, key => key.StartsWith("pooler.", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The position ids for a <see cref="Forward"/> call that passes none (the caller disposes them).
    /// </summary>
    /// <exception cref="ArgumentException">The sequence is too long for the position table.</exception>
    private protected abstract Tensor CreateDefaultPositionIds(Tensor inputIds);
}
