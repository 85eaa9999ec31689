using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// A port of transformers' <c>RobertaForSequenceClassification</c>: <c>roberta</c> (a <see cref="RobertaModel"/> without
/// pooler) and <c>classifier</c> (<c>classifier.dense</c>, tanh, <c>classifier.out_proj</c> on the first token, with
/// dropout). State-dict keys are transformers'.
/// </summary>
public sealed class RobertaForSequenceClassification : BertStyleSequenceClassifier<RobertaConfig>
{
    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    public RobertaForSequenceClassification(RobertaConfig config)
        : base(nameof(RobertaForSequenceClassification), config, RobertaModel.BaseModelPrefix, c => new RobertaModel(c, addPoolingLayer: false))
    {
        register_module(ClassifierName, new RobertaClassificationHead(config));
    }

    /// <summary>The encoder (<c>roberta</c>).</summary>
    public RobertaModel Roberta => this.Child<RobertaModel>(RobertaModel.BaseModelPrefix);

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config (adjusted by <paramref name="configure"/>, for example to
    /// set <see cref="Bert.BertConfig.NumLabels"/> for a new task) and the weights <see cref="CheckpointFiles.Open"/> finds there.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static RobertaForSequenceClassification FromPretrained(string path, Action<RobertaConfig>? configure = null) =>
        PretrainedFolder.Load(path, RobertaConfig.FromFile, configure, FromPretrained);

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static RobertaForSequenceClassification FromPretrained(string configPath, ITensorSource weights) =>
        FromPretrained(RobertaConfig.FromFile(configPath), weights);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/>: a checkpoint of this model, of
    /// <c>RobertaForMaskedLM</c> (its <c>lm_head.*</c> and <c>roberta.pooler.*</c> keys are reported as unexpected) or of a
    /// bare <c>RobertaModel</c> (keys without <c>roberta.</c>). A classifier the checkpoint lacks keeps its initial values
    /// and is listed in <see cref="BertStyleSequenceClassifier{TConfig}.LoadResult"/>, as transformers does for a new head.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static RobertaForSequenceClassification FromPretrained(RobertaConfig config, ITensorSource weights) =>
        LoadPretrained(config, weights, c => new RobertaForSequenceClassification(c), headWeightKey: ClassifierName + ".out_proj.weight");

    /// <inheritdoc />
    private protected override Tensor Classify(EncoderOutput encoded) =>
        this.Child<RobertaClassificationHead>(ClassifierName).Forward(encoded.LastHiddenState);
}
