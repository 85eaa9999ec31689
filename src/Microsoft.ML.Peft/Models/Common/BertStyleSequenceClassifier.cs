using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// What <see cref="BertForSequenceClassification"/> and <see cref="Roberta.RobertaForSequenceClassification"/> share:
/// a <see cref="BertStyleEncoderModel{TConfig}"/> registered under transformers' <c>base_model_prefix</c>, a head named
/// <see cref="ClassifierName"/>, the loading of Hugging Face checkpoints, and the forward pass up to the head.
/// </summary>
/// <typeparam name="TConfig">The configuration type of the model.</typeparam>
[ResolvesChildrenByName]
public abstract class BertStyleSequenceClassifier<TConfig> : nn.Module, ISequenceClassificationModel
    where TConfig : BertConfig
{
    /// <summary>The head's module name, as in transformers.</summary>
    public const string ClassifierName = "classifier";

    private readonly string _encoderName;

    /// <summary>Registers the encoder; the derived constructor registers the head after it, as transformers orders them.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="config">The architecture.</param>
    /// <param name="encoderName">The encoder's module name (<c>base_model_prefix</c>).</param>
    /// <param name="createEncoder">Builds the encoder for <paramref name="config"/>.</param>
    private protected BertStyleSequenceClassifier(
        string name, TConfig config, string encoderName, Func<TConfig, BertStyleEncoderModel<TConfig>> createEncoder)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _encoderName = encoderName;
        register_module(encoderName, createEncoder(config));
    }

    /// <summary>The architecture this model was built for.</summary>
    public TConfig Config { get; }

    /// <inheritdoc />
    public int NumLabels => Config.NumLabels;

    /// <inheritdoc />
    public string ClassifierModuleName => ClassifierName;

    /// <inheritdoc />
    public WeightLoadResult? LoadResult { get; private set; }

    /// <inheritdoc />
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null) =>
        Forward(inputIds, attentionMask, tokenTypeIds, positionIds: null);

    /// <summary>
    /// Computes the logits [batch, num_labels]; see <see cref="BertStyleEncoderModel{TConfig}.Forward"/> for the inputs.
    /// The head reads the first token only, so the encoder's last layer computes that position alone (the same values as
    /// transformers' full last layer, for about one layer's work less).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? positionIds)
    {
        using EncoderOutput encoded = this.Child<BertStyleEncoderModel<TConfig>>(_encoderName)
            .ForwardFirstToken(inputIds, attentionMask, tokenTypeIds, positionIds);
        return Classify(encoded);
    }

    /// <summary>
    /// Builds a model with <paramref name="create"/> and loads <paramref name="weights"/> into it. Keys of the head
    /// (<c>classifier.*</c>), and those <paramref name="alsoFreshlyInitialized"/> accepts, may be absent: they keep their
    /// initial values and are listed in <see cref="LoadResult"/>, as transformers does for a new head.
    /// </summary>
    /// <param name="config">The architecture.</param>
    /// <param name="weights">The checkpoint.</param>
    /// <param name="create">Builds the model for <paramref name="config"/>.</param>
    /// <param name="headWeightKey">The head's output weight, whose row count must equal <c>num_labels</c>.</param>
    /// <param name="alsoFreshlyInitialized">Other keys (besides the head's) that may be absent, or null.</param>
    private protected static TModel LoadPretrained<TModel>(
        TConfig config,
        ITensorSource weights,
        Func<TConfig, TModel> create,
        string headWeightKey,
        Func<string, bool>? alsoFreshlyInitialized = null)
        where TModel : BertStyleSequenceClassifier<TConfig>
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        PretrainedWeightLoader.CheckHeadLabels(weights, headWeightKey, config.NumLabels);
        return PretrainedWeightLoader.CreateAndLoad(
            () => create(config),
            model => model.LoadResult = PretrainedWeightLoader.Load(
                model,
                weights,
                model._encoderName,
                modelIsBase: false,
                key => key.StartsWith(ClassifierName + ".", StringComparison.Ordinal) || (alsoFreshlyInitialized?.Invoke(key) ?? false)));
    }

    /// <summary>The head: the logits [batch, num_labels] for the encoder's output (its last hidden state holds the first token only, [batch, 1, hidden]).</summary>
    private protected abstract Tensor Classify(EncoderOutput encoded);
}
