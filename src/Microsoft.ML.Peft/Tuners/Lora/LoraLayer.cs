using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Training.Precision;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// The LoRA layers' common part, as Hugging Face PEFT's <c>LoraLayer</c>: per adapter a rank r, an alpha, the scale
/// alpha/r (alpha/√r for rsLoRA), a dropout, the low-rank pair A and B, and for DoRA a magnitude. Submodule names are
/// PEFT's (<c>lora_dropout</c>, <c>lora_A</c>, <c>lora_B</c>, <c>lora_embedding_A</c>, <c>lora_embedding_B</c>,
/// <c>lora_magnitude_vector</c>), so the state-dict keys match PEFT's in memory and on disk.
/// </summary>
public abstract class LoraLayer : TunerLayer, IAutocastModule
{
    // Field names are the state-dict names (registered explicitly, in PEFT's order, after base_layer).
    private readonly AdapterModules<nn.Module<Tensor, Tensor>> lora_dropout = new();
    private readonly AdapterModules<nn.Module<Tensor, Tensor>> lora_A = new();
    private readonly AdapterModules<nn.Module<Tensor, Tensor>> lora_B = new();
    private readonly AdapterParameters lora_embedding_A = new();
    private readonly AdapterParameters lora_embedding_B = new();
    private readonly AdapterModules<DoraMagnitude> lora_magnitude_vector = new();
    private readonly Dictionary<string, AdapterSettings> _settings = new(StringComparer.Ordinal);

    // DoRA's weight norm at merge time: unmerging needs the norm of the original weights, not of the merged ones.
    private readonly Dictionary<string, Tensor> _mergedWeightNorms = new(StringComparer.Ordinal);

    // Set by MixedPrecision while it is applied (see IAutocastModule).
    private ScalarType? _autocastType;

    /// <summary>Wraps <paramref name="baseLayer"/>; derived constructors then add the first adapter.</summary>
    private protected LoraLayer(string name, nn.Module<Tensor, Tensor> baseLayer)
        : base(name, baseLayer)
    {
        register_module("lora_dropout", lora_dropout);
        register_module("lora_A", lora_A);
        register_module("lora_B", lora_B);
        register_module("lora_embedding_A", lora_embedding_A);
        register_module("lora_embedding_B", lora_embedding_B);
        register_module("lora_magnitude_vector", lora_magnitude_vector);
        RegisterComponents();
    }

    /// <summary>The rank of an adapter in this layer (after <see cref="LoraConfig.RankPattern"/>).</summary>
    public int Rank(string adapterName) => Settings(adapterName).R;

    /// <summary>The alpha of an adapter in this layer (after <see cref="LoraConfig.AlphaPattern"/>).</summary>
    public double Alpha(string adapterName) => Settings(adapterName).Alpha;

    /// <summary>The factor the adapter's B·A is multiplied by.</summary>
    public double Scaling(string adapterName) => Settings(adapterName).Scaling;

    /// <summary>Whether the adapter is a DoRA adapter.</summary>
    public bool UsesDora(string adapterName) => Settings(adapterName).UseDora;

    /// <summary>
    /// The adapter's update of the base weight, in the base weight's layout and scaled (PEFT's
    /// <c>get_delta_weight</c>): W + delta is the merged weight of plain LoRA.
    /// </summary>
    public abstract Tensor GetDeltaWeight(string adapterName);

    /// <inheritdoc />
    public override IEnumerable<Parameter> AdapterParameters(string adapterName)
    {
        if (lora_A.TryGet(adapterName, out var a))
        {
            foreach (Parameter p in a.parameters())
            {
                yield return p;
            }

            foreach (Parameter p in lora_B[adapterName].parameters())
            {
                yield return p;
            }
        }

        if (lora_embedding_A.Contains(adapterName))
        {
            yield return lora_embedding_A[adapterName];
            yield return lora_embedding_B[adapterName];
        }

        if (lora_magnitude_vector.TryGet(adapterName, out var magnitude))
        {
            yield return magnitude.Weight;
        }
    }

    /// <summary>Adds an adapter (or, for PEFT's <c>update_layer</c>, the first one) with the given rank and alpha.</summary>
    internal void UpdateLayer(string adapterName, int r, double alpha, LoraConfig config, bool initialize)
    {
        if (r <= 0)
        {
            throw new ArgumentException($"LoRA rank must be positive, got {r} for {GetName()}.", nameof(r));
        }

        if (HasAdapter(adapterName))
        {
            throw new ArgumentException($"{GetName()} already has an adapter '{adapterName}'.", nameof(adapterName));
        }

        _settings[adapterName] = new AdapterSettings(r, alpha, config.Scaling(r, alpha), config.UseDora);
        lora_dropout.Add(adapterName, config.LoraDropout > 0 ? new FastDropout(config.LoraDropout) : nn.Identity());
        CreateAdapterWeights(adapterName, r, AdapterDevice, AdapterDType);
        if (initialize)
        {
            using var noGrad = no_grad();
            InitializeAdapterWeights(adapterName, config.InitLoraWeights, r);
        }

        if (config.UseDora)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor magnitude = DoraWeightNorm(BaseWeight.detach(), GetDeltaWeight(adapterName));
            lora_magnitude_vector.Add(adapterName, new DoraMagnitude(magnitude));
        }

        RegisterAdapterName(adapterName);
        train(training);
    }

    /// <summary>The A of an adapter: <c>lora_A[name].weight</c>, or <c>lora_embedding_A[name]</c> for embeddings.</summary>
    internal Parameter WeightA(string adapterName) =>
        lora_A.TryGet(adapterName, out var a) ? a.Parameter("weight") : lora_embedding_A[adapterName];

    /// <summary>The B of an adapter: <c>lora_B[name].weight</c>, or <c>lora_embedding_B[name]</c> for embeddings.</summary>
    internal Parameter WeightB(string adapterName) =>
        lora_B.TryGet(adapterName, out var b) ? b.Parameter("weight") : lora_embedding_B[adapterName];

    /// <summary>The base layer's weight, in its own layout.</summary>
    protected abstract Tensor BaseWeight { get; }

    /// <summary>Creates A and B for a new adapter (with <see cref="AddLowRankModules"/> or <see cref="AddLowRankParameters"/>).</summary>
    private protected abstract void CreateAdapterWeights(string adapterName, int r, Device device, ScalarType dtype);

    /// <summary>Applies <paramref name="init"/> to A and B (called without gradient tracking).</summary>
    private protected virtual void InitializeAdapterWeights(string adapterName, LoraInitialization init, int r)
    {
        if (init == LoraInitialization.Random)
        {
            return;
        }

        Tensor a = WeightA(adapterName);
        if (init == LoraInitialization.Gaussian)
        {
            nn.init.normal_(a, 0, 1.0 / r);
        }
        else
        {
            nn.init.kaiming_uniform_(a, Math.Sqrt(5));
        }

        nn.init.zeros_(WeightB(adapterName));
    }

    /// <summary>DoRA's norm of W + delta per output, in the magnitude's shape (detached).</summary>
    private protected abstract Tensor DoraWeightNorm(Tensor weight, Tensor delta);

    /// <summary>Reshapes a magnitude-shaped factor so it broadcasts over the base weight.</summary>
    private protected abstract Tensor FactorInWeightLayout(Tensor factor);

    /// <summary>Registers A and B modules (<c>lora_A</c>, <c>lora_B</c>).</summary>
    private protected void AddLowRankModules(string adapterName, nn.Module<Tensor, Tensor> a, nn.Module<Tensor, Tensor> b)
    {
        lora_A.Add(adapterName, a);
        lora_B.Add(adapterName, b);
    }

    /// <summary>Registers A and B parameters (<c>lora_embedding_A</c>, <c>lora_embedding_B</c>).</summary>
    private protected void AddLowRankParameters(string adapterName, Parameter a, Parameter b)
    {
        lora_embedding_A.Add(adapterName, a);
        lora_embedding_B.Add(adapterName, b);
    }

    /// <summary>The A module of an adapter.</summary>
    private protected nn.Module<Tensor, Tensor> ModuleA(string adapterName) => lora_A[adapterName];

    /// <summary>The B module of an adapter.</summary>
    private protected nn.Module<Tensor, Tensor> ModuleB(string adapterName) => lora_B[adapterName];

    /// <summary>The dropout of an adapter.</summary>
    private protected nn.Module<Tensor, Tensor> Dropout(string adapterName) => lora_dropout[adapterName];

    /// <summary>Whether the adapter's dropout changes anything now (it is not identity and the layer trains).</summary>
    private protected bool DropoutActive(string adapterName) => training && lora_dropout[adapterName] is not Identity;

    /// <summary>DoRA's magnitude of an adapter.</summary>
    private protected Parameter Magnitude(string adapterName) => lora_magnitude_vector[adapterName].Weight;

    /// <summary>Where new adapter weights go: the base weight's device.</summary>
    private protected Device AdapterDevice => BaseWeight.device;

    /// <summary>New adapter weights are float32 for half-precision bases (as PEFT's autocast) and the base dtype otherwise.</summary>
    private protected ScalarType AdapterDType =>
        BaseWeight.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : BaseWeight.dtype;

    /// <inheritdoc />
    protected override void RemoveAdapterWeights(string adapterName)
    {
        lora_dropout.Remove(adapterName);
        lora_A.Remove(adapterName);
        lora_B.Remove(adapterName);
        lora_embedding_A.Remove(adapterName);
        lora_embedding_B.Remove(adapterName);
        lora_magnitude_vector.Remove(adapterName);
        _settings.Remove(adapterName);
    }

    /// <inheritdoc />
    protected override void MergeAdapterWeights(string adapterName)
    {
        Tensor weight = BaseWeight;
        using var scope = NewDisposeScope();
        Tensor delta = GetDeltaWeight(adapterName).to(weight.dtype);
        if (!UsesDora(adapterName))
        {
            weight.PlusInPlace(delta);
            return;
        }

        Tensor norm = DoraWeightNorm(weight, delta).detach().DetachFromDisposeScope();
        _mergedWeightNorms[adapterName] = norm;
        Tensor factor = FactorInWeightLayout(Magnitude(adapterName) / norm);
        weight.copy_(factor * weight.Plus(delta));
    }

    /// <inheritdoc />
    protected override void UnmergeAdapterWeights(string adapterName)
    {
        Tensor weight = BaseWeight;
        using var scope = NewDisposeScope();
        Tensor delta = GetDeltaWeight(adapterName).to(weight.dtype);
        if (!UsesDora(adapterName))
        {
            weight.sub_(delta);
            return;
        }

        _mergedWeightNorms.Remove(adapterName, out Tensor? norm);
        Tensor factor = FactorInWeightLayout(Magnitude(adapterName) / norm!);
        weight.copy_(weight / factor - delta);
        norm!.Dispose();
    }

    /// <inheritdoc />
    ScalarType? IAutocastModule.AutocastType
    {
        get => _autocastType;
        set => _autocastType = value;
    }

    /// <summary>
    /// Whether this forward multiplies the adapter in the dtype of <paramref name="input"/> (autocast): under
    /// <see cref="MixedPrecision"/>, for an input in its compute dtype and adapter weights of another. DoRA keeps
    /// PEFT's float32 path, since its weight norm is sensitive to rounding.
    /// </summary>
    private protected bool AutocastsAdapter(Tensor input, string adapterName) =>
        _autocastType == input.dtype && WeightA(adapterName).dtype != input.dtype && !UsesDora(adapterName);

    /// <summary>Casts the input to the adapter's dtype (the base may run in half precision).</summary>
    private protected Tensor ToAdapterDType(Tensor x, string adapterName)
    {
        ScalarType dtype = WeightA(adapterName).dtype;
        return x.dtype == dtype ? x : x.to(dtype);
    }

    private AdapterSettings Settings(string adapterName) =>
        _settings.TryGetValue(adapterName, out AdapterSettings? settings)
            ? settings
            : throw new KeyNotFoundException($"{GetName()} has no adapter '{adapterName}'.");

    private sealed record AdapterSettings(int R, double Alpha, double Scaling, bool UseDora);
}
