using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// A port of transformers' <c>RobertaForSequenceClassification</c>: <c>roberta</c> (a <see cref="RobertaModel"/> without
/// pooler) and <c>classifier</c> (<c>classifier.dense</c>, tanh, <c>classifier.out_proj</c> on the first token, with
/// dropout). State-dict keys are transformers'.
/// </summary>
public sealed class RobertaForSequenceClassification : nn.Module, ISequenceClassificationModel
{
    /// <summary>The head's module name, as in transformers.</summary>
    public const string ClassifierName = "classifier";

    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    public RobertaForSequenceClassification(RobertaConfig config)
        : base(nameof(RobertaForSequenceClassification))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        register_module(RobertaModel.BaseModelPrefix, new RobertaModel(config, addPoolingLayer: false));
        register_module(ClassifierName, new RobertaClassificationHead(config));
    }

    /// <summary>The architecture this model was built for.</summary>
    public RobertaConfig Config { get; }

    /// <summary>The encoder (<c>roberta</c>).</summary>
    public RobertaModel Roberta => this.Child<RobertaModel>(RobertaModel.BaseModelPrefix);

    /// <inheritdoc />
    public int NumLabels => Config.NumLabels;

    /// <inheritdoc />
    public string ClassifierModuleName => ClassifierName;

    /// <inheritdoc />
    public WeightLoadResult? LoadResult { get; private set; }

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config (adjusted by <paramref name="configure"/>, for example to
    /// set <see cref="Bert.BertConfig.NumLabels"/> for a new task) and the weights <see cref="CheckpointFiles.Open"/> finds there.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static RobertaForSequenceClassification FromPretrained(string path, Action<RobertaConfig>? configure = null)
    {
        RobertaConfig config = RobertaConfig.FromFile(PretrainedFolder.ConfigPath(path));
        configure?.Invoke(config);
        using ITensorSource weights = CheckpointFiles.Open(path);
        return FromPretrained(config, weights);
    }

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static RobertaForSequenceClassification FromPretrained(string configPath, ITensorSource weights) =>
        FromPretrained(RobertaConfig.FromFile(configPath), weights);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/>: a checkpoint of this model, of
    /// <c>RobertaForMaskedLM</c> (its <c>lm_head.*</c> and <c>roberta.pooler.*</c> keys are reported as unexpected) or of a
    /// bare <c>RobertaModel</c> (keys without <c>roberta.</c>). A classifier the checkpoint lacks keeps its initial values
    /// and is listed in <see cref="LoadResult"/>, as transformers does for a new head.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static RobertaForSequenceClassification FromPretrained(RobertaConfig config, ITensorSource weights)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        PretrainedWeightLoader.CheckHeadLabels(weights, ClassifierName + ".out_proj.weight", config.NumLabels);
        var model = new RobertaForSequenceClassification(config);
        try
        {
            model.LoadResult = PretrainedWeightLoader.Load(
                model,
                weights,
                RobertaModel.BaseModelPrefix,
                modelIsBase: false,
                key => key.StartsWith(ClassifierName + ".", StringComparison.Ordinal));
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null) =>
        Forward(inputIds, attentionMask, tokenTypeIds, positionIds: null);

    /// <summary>Computes the logits [batch, num_labels]; see <see cref="RobertaModel.Forward"/> for the inputs.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? positionIds)
    {
        using EncoderOutput encoded = Roberta.Forward(inputIds, attentionMask, tokenTypeIds, positionIds);
        return this.Child<RobertaClassificationHead>(ClassifierName).Forward(encoded.LastHiddenState);
    }
}
