using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// A port of transformers' <c>BertForSequenceClassification</c>: <c>bert</c> (a <see cref="BertModel"/> with pooler),
/// <c>dropout</c>, and <c>classifier</c> (a Linear from hidden_size to num_labels) on the pooled output.
/// State-dict keys are transformers' (<c>bert.embeddings...</c>, <c>classifier.weight</c>).
/// </summary>
public sealed class BertForSequenceClassification : BertStyleSequenceClassifier<BertConfig>
{
    /// <summary>Builds a randomly initialised model (transformers' initialisation) for <paramref name="config"/>.</summary>
    public BertForSequenceClassification(BertConfig config)
        : base(nameof(BertForSequenceClassification), config, BertModel.BaseModelPrefix, c => new BertModel(c, addPoolingLayer: true))
    {
        register_module("dropout", new FastDropout(config.EffectiveClassifierDropout));
        Linear classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        HuggingFaceInitialization.InitializeLinearsAndLayerNorms(classifier, config.InitializerRange);
        register_module(ClassifierName, classifier);
    }

    /// <summary>The encoder (<c>bert</c>).</summary>
    public BertModel Bert => this.Child<BertModel>(BertModel.BaseModelPrefix);

    /// <summary>
    /// Loads a Hugging Face model folder, or a single <c>.safetensors</c> file with <c>config.json</c> beside it: the config (adjusted by <paramref name="configure"/>, for example to
    /// set <see cref="BertConfig.NumLabels"/> for a new task) and the weights <see cref="CheckpointFiles.Open"/> finds there.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="WeightLoadException">The checkpoint lacks encoder weights or a shape differs.</exception>
    public static BertForSequenceClassification FromPretrained(string path, Action<BertConfig>? configure = null) =>
        PretrainedFolder.Load(path, BertConfig.FromFile, configure, FromPretrained);

    /// <summary>Builds the model from a <c>config.json</c> file and loads <paramref name="weights"/> into it.</summary>
    public static BertForSequenceClassification FromPretrained(string configPath, ITensorSource weights) =>
        FromPretrained(BertConfig.FromFile(configPath), weights);

    /// <summary>
    /// Builds the model for <paramref name="config"/> and loads <paramref name="weights"/>: a checkpoint of this model, of
    /// <c>BertForPreTraining</c> (its <c>cls.*</c> keys are reported as unexpected) or of a bare <c>BertModel</c> (keys
    /// without <c>bert.</c>). A classifier or pooler the checkpoint lacks keeps its initial values and is listed in
    /// <see cref="BertStyleSequenceClassifier{TConfig}.LoadResult"/>, as transformers does for a new head.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint lacks embedding or encoder weights, or a shape differs.</exception>
    public static BertForSequenceClassification FromPretrained(BertConfig config, ITensorSource weights) =>
        LoadPretrained(
            config,
            weights,
            c => new BertForSequenceClassification(c),
            headWeightKey: ClassifierName + ".weight",
            alsoFreshlyInitialized: key => key.StartsWith(BertModel.BaseModelPrefix + ".pooler.", StringComparison.Ordinal));

    /// <inheritdoc />
    private protected override Tensor Classify(EncoderOutput encoded)
    {
        using Tensor dropped = this.Call("dropout", encoded.PoolerOutput!);
        return this.Call(ClassifierName, dropped);
    }
}
