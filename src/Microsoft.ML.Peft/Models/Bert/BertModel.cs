using TorchSharp;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// A port of transformers' <c>BertModel</c> (the bare encoder) whose state-dict keys are exactly transformers' names
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, ...,
/// <c>pooler.dense.bias</c>), so Hugging Face checkpoints load without renaming. Every projection is a real
/// <c>nn.Linear</c>, and forward runs whatever module is registered under each name. Positions default to
/// 0..sequence-1.
/// </summary>
public sealed class BertModel : BertStyleEncoderModel<BertConfig>
{
    /// <summary>The prefix transformers puts before this model's keys inside models with a head (<c>base_model_prefix</c>).</summary>
    public const string BaseModelPrefix = "bert";

    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="addPoolingLayer">Whether to add the <c>pooler</c> (tanh(dense(first token))).</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true)
        : base(nameof(BertModel), ValidatedBertConfig(config), addPoolingLayer, positionPaddingIndex: null)
    {
    }

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config and the weights <see cref="CheckpointFiles.Open"/> finds there
    /// (a checkpoint of a model with a head, such as <c>BertForPreTraining</c>, loads too; its head keys are reported as
    /// unexpected).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static BertModel FromPretrained(string path, bool addPoolingLayer = true) =>
        PretrainedFolder.Load(path, BertConfig.FromFile, configure: null, (config, weights) => FromPretrained(config, weights, addPoolingLayer));

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static BertModel FromPretrained(string configPath, ITensorSource weights, bool addPoolingLayer = true) =>
        FromPretrained(BertConfig.FromFile(configPath), weights, addPoolingLayer);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/> (keys with or without the
    /// <c>bert.</c> prefix; legacy <c>LayerNorm.gamma/beta</c>; F16/BF16 tensors are converted). A pooler absent from the
    /// checkpoint keeps its initial values and is listed in <see cref="BertStyleEncoderModel{TConfig}.LoadResult"/>.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static BertModel FromPretrained(BertConfig config, ITensorSource weights, bool addPoolingLayer = true) =>
        LoadPretrained(() => new BertModel(config, addPoolingLayer), weights, BaseModelPrefix);

    /// <inheritdoc />
    private protected override Tensor CreateDefaultPositionIds(Tensor inputIds)
    {
        long sequence = inputIds.shape[1];
        if (sequence > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"inputIds has {sequence} tokens per sequence, but max_position_embeddings is {Config.MaxPositionEmbeddings}.",
                nameof(inputIds));
        }

        using Scalar end = sequence; // explicit: an implicit Scalar can be freed while libtorch reads it
        return arange(end, ScalarType.Int64, inputIds.device).unsqueeze(0);
    }

    private static BertConfig ValidatedBertConfig(BertConfig config)
    {
        Validated(config);
        if (config.ModelType != "bert")
        {
            // A RoBERTa config is a BertConfig, but BERT's arange positions would silently misread RoBERTa weights.
            throw new ArgumentException(
                $"BertModel needs a BERT configuration (model_type 'bert'), got model_type '{config.ModelType}'; " +
                "use RobertaModel for RoBERTa-style models.",
                nameof(config));
        }

        return config;
    }
}
