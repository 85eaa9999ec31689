using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Peft.Models.Common;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// The architecture of a BERT model, read from and written to a Hugging Face <c>config.json</c> with the same field
/// names and defaults as transformers' <c>BertConfig</c> (the defaults describe bert-base). Fields this library does not
/// use are kept in <see cref="AdditionalProperties"/> and written back by <see cref="ToJson"/>.
/// </summary>
public class BertConfig : IJsonOnDeserializing, IJsonOnDeserialized
{
    private static readonly JsonSerializerOptions SerializerOptions = new() { WriteIndented = true };

    private static readonly string[] ProblemTypes = ["regression", "single_label_classification", "multi_label_classification"];

    private Dictionary<int, string>? _id2Label;
    private Dictionary<string, int>? _label2Id;

    /// <summary>Creates a configuration with transformers' defaults (bert-base-uncased's architecture, two labels).</summary>
    public BertConfig()
    {
        NumLabels = 2;
    }

    /// <summary><c>model_type</c>: which transformers architecture the file describes (<c>bert</c>).</summary>
    [JsonPropertyName("model_type")]
    public string ModelType { get; set; } = "bert";

    /// <summary><c>vocab_size</c>: rows of the word embedding table.</summary>
    [JsonPropertyName("vocab_size")]
    public int VocabSize { get; set; } = 30522;

    /// <summary><c>hidden_size</c>: width of every encoder layer.</summary>
    [JsonPropertyName("hidden_size")]
    public int HiddenSize { get; set; } = 768;

    /// <summary><c>num_hidden_layers</c>: number of encoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")]
    public int NumHiddenLayers { get; set; } = 12;

    /// <summary><c>num_attention_heads</c>: attention heads per layer; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")]
    public int NumAttentionHeads { get; set; } = 12;

    /// <summary><c>intermediate_size</c>: width of the feed-forward layer.</summary>
    [JsonPropertyName("intermediate_size")]
    public int IntermediateSize { get; set; } = 3072;

    /// <summary>
    /// <c>hidden_act</c>: the feed-forward activation. <c>gelu</c> is the exact erf GELU; <c>gelu_new</c>,
    /// <c>gelu_pytorch_tanh</c> and <c>gelu_fast</c> the tanh approximation; also <c>quick_gelu</c>, <c>relu</c>,
    /// <c>silu</c>/<c>swish</c>, <c>tanh</c>, <c>sigmoid</c>.
    /// </summary>
    [JsonPropertyName("hidden_act")]
    public string HiddenAct { get; set; } = "gelu";

    /// <summary><c>hidden_dropout_prob</c>: dropout after embeddings and each sub-layer (training only).</summary>
    [JsonPropertyName("hidden_dropout_prob")]
    public double HiddenDropoutProb { get; set; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>: dropout on the attention probabilities (training only).</summary>
    [JsonPropertyName("attention_probs_dropout_prob")]
    public double AttentionProbsDropoutProb { get; set; } = 0.1;

    /// <summary><c>max_position_embeddings</c>: rows of the position embedding table.</summary>
    [JsonPropertyName("max_position_embeddings")]
    public int MaxPositionEmbeddings { get; set; } = 512;

    /// <summary><c>type_vocab_size</c>: rows of the token type (segment) embedding table.</summary>
    [JsonPropertyName("type_vocab_size")]
    public int TypeVocabSize { get; set; } = 2;

    /// <summary><c>initializer_range</c>: standard deviation of the normal initialisation of weights a checkpoint does not provide.</summary>
    [JsonPropertyName("initializer_range")]
    public double InitializerRange { get; set; } = 0.02;

    /// <summary><c>layer_norm_eps</c>: epsilon of every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_eps")]
    public double LayerNormEps { get; set; } = 1e-12;

    /// <summary><c>pad_token_id</c>: the padding token (the word embedding's <c>padding_idx</c>); may be null.</summary>
    [JsonPropertyName("pad_token_id")]
    public int? PadTokenId { get; set; } = 0;

    /// <summary><c>position_embedding_type</c>: only <c>absolute</c> is supported.</summary>
    [JsonPropertyName("position_embedding_type")]
    public string PositionEmbeddingType { get; set; } = "absolute";

    /// <summary><c>classifier_dropout</c>: dropout before the classification head; null means <see cref="HiddenDropoutProb"/>.</summary>
    [JsonPropertyName("classifier_dropout")]
    public double? ClassifierDropout { get; set; }

    /// <summary>
    /// <c>problem_type</c>: <c>regression</c>, <c>single_label_classification</c>, <c>multi_label_classification</c>, or
    /// null to infer it from the labels as transformers does.
    /// </summary>
    [JsonPropertyName("problem_type")]
    public string? ProblemType { get; set; }

    /// <summary>
    /// <c>id2label</c>: the name of each output index, 0..NumLabels-1. A file's <c>id2label</c> decides the number of
    /// labels (as in transformers, it wins over a <c>num_labels</c> field).
    /// </summary>
    [JsonIgnore]
    public Dictionary<int, string> Id2Label
    {
        get => _id2Label!;
        set => _id2Label = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary><c>label2id</c>: the output index of each label name.</summary>
    [JsonIgnore]
    public Dictionary<string, int> Label2Id
    {
        get => _label2Id!;
        set => _label2Id = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// <c>num_labels</c>: the number of logits of a classification head (the size of <see cref="Id2Label"/>). Setting a
    /// different count replaces the labels with <c>LABEL_0</c>..<c>LABEL_{n-1}</c>, as transformers does.
    /// </summary>
    [JsonIgnore]
    public int NumLabels
    {
        get => _id2Label?.Count ?? 0;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            if (_id2Label is null || _id2Label.Count != value)
            {
                _id2Label = Enumerable.Range(0, value).ToDictionary(i => i, i => $"LABEL_{i}");
                _label2Id = InvertLabels(_id2Label);
            }
        }
    }

    /// <summary>Every other field of the file (for example <c>architectures</c>, <c>torch_dtype</c>), kept for <see cref="ToJson"/>.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement> AdditionalProperties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The dropout probability the classification head uses.</summary>
    [JsonIgnore]
    public double EffectiveClassifierDropout => ClassifierDropout ?? HiddenDropoutProb;

    /// <summary>Where this configuration came from, for error messages.</summary>
    [JsonIgnore]
    internal string Source { get; set; } = "code";

    [JsonInclude]
    [JsonPropertyName("id2label")]
    private Dictionary<string, string>? Id2LabelJson
    {
        get => _id2Label?.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value);
        set => Id2LabelFromJson = value;
    }

    [JsonInclude]
    [JsonPropertyName("label2id")]
    private Dictionary<string, int>? Label2IdJson
    {
        get => _label2Id;
        set => Label2IdFromJson = value;
    }

    [JsonInclude]
    [JsonPropertyName("num_labels")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private int? NumLabelsJson
    {
        get => null;
        set => NumLabelsFromJson = value;
    }

    [JsonIgnore]
    private Dictionary<string, string>? Id2LabelFromJson { get; set; }

    [JsonIgnore]
    private Dictionary<string, int>? Label2IdFromJson { get; set; }

    [JsonIgnore]
    private int? NumLabelsFromJson { get; set; }

    /// <summary>The <c>model_type</c> values this class accepts.</summary>
    [JsonIgnore]
    protected virtual IReadOnlyList<string> AcceptedModelTypes => ["bert"];

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or describes an unsupported or inconsistent model.</exception>
    public static BertConfig FromFile(string path) => ReadFile<BertConfig>(path);

    /// <summary>Parses and validates the text of a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="InvalidDataException">The text is not valid JSON or describes an unsupported or inconsistent model.</exception>
    public static BertConfig FromJson(string json) => Parse<BertConfig>(json, "config JSON");

    /// <summary>Writes the configuration as a Hugging Face <c>config.json</c> text (transformers' field names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), SerializerOptions);

    /// <summary>Checks that the configuration describes a model this library can build.</summary>
    /// <exception cref="InvalidDataException">A field is out of range, inconsistent or unsupported; the message names it and the source.</exception>
    public void Validate()
    {
        if (!AcceptedModelTypes.Contains(ModelType, StringComparer.Ordinal))
        {
            Fail($"model_type '{ModelType}' is not supported here; expected {string.Join(" or ", AcceptedModelTypes.Select(t => $"'{t}'"))}");
        }

        RequirePositive(VocabSize, "vocab_size");
        RequirePositive(HiddenSize, "hidden_size");
        RequirePositive(NumHiddenLayers, "num_hidden_layers");
        RequirePositive(NumAttentionHeads, "num_attention_heads");
        RequirePositive(IntermediateSize, "intermediate_size");
        RequirePositive(MaxPositionEmbeddings, "max_position_embeddings");
        RequirePositive(TypeVocabSize, "type_vocab_size");
        if (HiddenSize % NumAttentionHeads != 0)
        {
            Fail($"hidden_size ({HiddenSize}) is not a multiple of num_attention_heads ({NumAttentionHeads})");
        }

        if (!HiddenActivations.IsSupported(HiddenAct))
        {
            Fail($"hidden_act '{HiddenAct}' is not supported; supported: {string.Join(", ", HiddenActivations.SupportedNames)}");
        }

        if (PositionEmbeddingType != "absolute")
        {
            Fail($"position_embedding_type '{PositionEmbeddingType}' is not supported; only 'absolute' is");
        }

        RequireProbability(HiddenDropoutProb, "hidden_dropout_prob");
        RequireProbability(AttentionProbsDropoutProb, "attention_probs_dropout_prob");
        if (ClassifierDropout is double classifierDropout)
        {
            RequireProbability(classifierDropout, "classifier_dropout");
        }

        if (!(LayerNormEps > 0) || double.IsInfinity(LayerNormEps))
        {
            Fail($"layer_norm_eps must be a positive number, got {LayerNormEps}");
        }

        if (!(InitializerRange >= 0) || double.IsInfinity(InitializerRange))
        {
            Fail($"initializer_range must be a non-negative number, got {InitializerRange}");
        }

        if (PadTokenId is int pad && (pad < 0 || pad >= VocabSize))
        {
            Fail($"pad_token_id {pad} is outside the vocabulary [0, {VocabSize})");
        }

        if (ProblemType is not null && !ProblemTypes.Contains(ProblemType, StringComparer.Ordinal))
        {
            Fail($"problem_type '{ProblemType}' is not one of {string.Join(", ", ProblemTypes)}");
        }

        ValidateLabels();

        foreach (string flag in new[] { "is_decoder", "add_cross_attention" })
        {
            if (AdditionalProperties.TryGetValue(flag, out JsonElement value) && value.ValueKind == JsonValueKind.True)
            {
                Fail($"{flag} is true, but only the bidirectional encoder is supported");
            }
        }

        ValidateArchitecture();
    }

    /// <summary>Reads <paramref name="path"/> into a configuration of type <typeparamref name="T"/>.</summary>
    protected static T ReadFile<T>(string path)
        where T : BertConfig, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model configuration '{path}' does not exist.", path);
        }

        return Parse<T>(File.ReadAllText(path), path);
    }

    /// <summary>Parses <paramref name="json"/> into a validated configuration of type <typeparamref name="T"/>; <paramref name="source"/> names it in errors.</summary>
    protected static T Parse<T>(string json, string source)
        where T : BertConfig, new()
    {
        ArgumentNullException.ThrowIfNull(json);
        T? config;
        try
        {
            config = JsonSerializer.Deserialize<T>(json, SerializerOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid {typeof(T).Name} config.json: {e.Message}", e);
        }

        if (config is null)
        {
            throw new InvalidDataException($"{source} holds JSON null instead of a {typeof(T).Name} object.");
        }

        config.Source = source;
        config.Validate();
        return config;
    }

    /// <summary>Further checks of a derived architecture; call <see cref="Fail"/> to report a problem.</summary>
    protected virtual void ValidateArchitecture()
    {
    }

    /// <summary>Throws the <see cref="InvalidDataException"/> for a problem with this configuration, naming its source.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected void Fail(string problem) =>
        throw new InvalidDataException($"{GetType().Name} from {Source}: {problem}.");

    void IJsonOnDeserializing.OnDeserializing()
    {
        Id2LabelFromJson = null;
        Label2IdFromJson = null;
        NumLabelsFromJson = null;
    }

    void IJsonOnDeserialized.OnDeserialized()
    {
        if (Id2LabelFromJson is not null)
        {
            var id2Label = new Dictionary<int, string>();
            foreach ((string key, string value) in Id2LabelFromJson)
            {
                if (!int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id))
                {
                    throw new JsonException($"id2label key '{key}' is not an integer label index.");
                }

                id2Label[id] = value;
            }

            _id2Label = id2Label;
            _label2Id = Label2IdFromJson ?? InvertLabels(id2Label);
        }
        else
        {
            int count = NumLabelsFromJson ?? 2;
            if (count < 1)
            {
                throw new JsonException($"num_labels must be at least 1, got {count}.");
            }

            _id2Label = null;
            NumLabels = count;
            if (Label2IdFromJson is not null)
            {
                _label2Id = Label2IdFromJson;
            }
        }

        Id2LabelFromJson = null;
        Label2IdFromJson = null;
        NumLabelsFromJson = null;
    }

    private static Dictionary<string, int> InvertLabels(Dictionary<int, string> id2Label)
    {
        var label2Id = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((int id, string label) in id2Label.OrderBy(p => p.Key))
        {
            label2Id[label] = id;
        }

        return label2Id;
    }

    private void ValidateLabels()
    {
        if (_id2Label is null || _id2Label.Count == 0)
        {
            Fail("id2label is empty; a classification model needs at least one label");
        }

        for (int i = 0; i < _id2Label.Count; i++)
        {
            if (!_id2Label.ContainsKey(i))
            {
                Fail($"id2label must number its labels 0..{_id2Label.Count - 1}, but index {i} is absent " +
                     $"(keys: {string.Join(", ", _id2Label.Keys.Order())})");
            }
        }
    }

    private void RequirePositive(int value, string field)
    {
        if (value <= 0)
        {
            Fail($"{field} must be positive, got {value}");
        }
    }

    private void RequireProbability(double value, string field)
    {
        if (!(value >= 0 && value < 1))
        {
            Fail($"{field} must be in [0, 1), got {value}");
        }
    }
}
