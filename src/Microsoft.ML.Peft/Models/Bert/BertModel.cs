using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// A port of transformers' <c>BertModel</c> (the bare encoder) whose state-dict keys are exactly transformers' names
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, ...,
/// <c>pooler.dense.bias</c>), so Hugging Face checkpoints load without renaming. Every projection is a real
/// <c>nn.Linear</c>, and forward runs whatever module is registered under each name.
/// </summary>
public sealed class BertModel : nn.Module
{
    /// <summary>The prefix transformers puts before this model's keys inside models with a head (<c>base_model_prefix</c>).</summary>
    public const string BaseModelPrefix = "bert";

    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="addPoolingLayer">Whether to add the <c>pooler</c> (tanh(dense(first token))).</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true)
        : base(nameof(BertModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.ModelType != "bert")
        {
            // A RoBERTa config is a BertConfig, but BERT's arange positions would silently misread RoBERTa weights.
            throw new ArgumentException(
                $"BertModel needs a BERT configuration (model_type 'bert'), got model_type '{config.ModelType}'; " +
                "use RobertaModel for RoBERTa-style models.",
                nameof(config));
        }

        Config = config;
        HasPooler = addPoolingLayer;

        register_module("embeddings", new BertEmbeddings(config));
        register_module("encoder", new BertEncoder(config));
        if (addPoolingLayer)
        {
            register_module("pooler", new BertPooler(config));
        }

        HuggingFaceInitialization.InitializeLinearsAndLayerNorms(this, config.InitializerRange);
    }

    /// <summary>The architecture this model was built for.</summary>
    public BertConfig Config { get; }

    /// <summary>Whether the model has a pooler (and <see cref="EncoderOutput.PoolerOutput"/> is set).</summary>
    public bool HasPooler { get; }

    /// <summary>Which keys <c>FromPretrained</c> loaded, left missing or found unexpected; null when built from a config alone.</summary>
    public WeightLoadResult? LoadResult { get; private set; }

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config and the weights <see cref="CheckpointFiles.Open"/> finds there
    /// (a checkpoint of a model with a head, such as <c>BertForPreTraining</c>, loads too; its head keys are reported as
    /// unexpected).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static BertModel FromPretrained(string path, bool addPoolingLayer = true)
    {
        BertConfig config = BertConfig.FromFile(PretrainedFolder.ConfigPath(path));
        using ITensorSource weights = CheckpointFiles.Open(path);
        return FromPretrained(config, weights, addPoolingLayer);
    }

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static BertModel FromPretrained(string configPath, ITensorSource weights, bool addPoolingLayer = true) =>
        FromPretrained(BertConfig.FromFile(configPath), weights, addPoolingLayer);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/> (keys with or without the
    /// <c>bert.</c> prefix; legacy <c>LayerNorm.gamma/beta</c>; F16/BF16 tensors are converted). A pooler absent from the
    /// checkpoint keeps its initial values and is listed in <see cref="LoadResult"/>.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static BertModel FromPretrained(BertConfig config, ITensorSource weights, bool addPoolingLayer = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var model = new BertModel(config, addPoolingLayer);
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
    /// Encodes a batch. Padding keys (mask 0) cannot be attended to; outputs at padded positions are computed but
    /// meaningless, as in transformers.
    /// </summary>
    /// <param name="inputIds">[batch, sequence] token ids (int64 or int32).</param>
    /// <param name="attentionMask">[batch, sequence], 1 for tokens and 0 for padding; null attends everywhere.</param>
    /// <param name="tokenTypeIds">[batch, sequence] segment ids; null means all 0.</param>
    /// <param name="positionIds">[batch or 1, sequence] positions; null means 0..sequence-1.</param>
    /// <param name="outputHiddenStates">Whether to return the embedding output and every layer's output too.</param>
    public EncoderOutput Forward(
        Tensor inputIds,
        Tensor? attentionMask = null,
        Tensor? tokenTypeIds = null,
        Tensor? positionIds = null,
        bool outputHiddenStates = false)
    {
        EncoderInputs.CheckInputIds(inputIds, Config);
        long sequence = inputIds.shape[1];
        if (tokenTypeIds is not null)
        {
            EncoderInputs.CheckTokenTypeIds(tokenTypeIds, inputIds, Config);
        }

        if (positionIds is not null)
        {
            EncoderInputs.CheckPositionIds(positionIds, inputIds, Config);
            return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positionIds, outputHiddenStates, HasPooler);
        }

        if (sequence > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"inputIds has {sequence} tokens per sequence, but max_position_embeddings is {Config.MaxPositionEmbeddings}.",
                nameof(inputIds));
        }

        using Tensor positions = arange(sequence, ScalarType.Int64, inputIds.device).unsqueeze(0);
        return EncoderForward.Run(this, Config, inputIds, attentionMask, tokenTypeIds, positions, outputHiddenStates, HasPooler);
    }
}
