using Microsoft.ML.Peft.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// A bottleneck adapter around a module of the model: y = m(x) + s·up(f(down(m(x)))) for the sequential variants
/// (Houlsby, Pfeiffer) and y = m(x) + s·up(f(down(x))) for the parallel one, with f the non-linearity and s the scaling.
/// The projections are registered as <c>adapter_down</c> and <c>adapter_up</c> per adapter name, so the in-memory keys
/// are <c>…dense.adapter_down.default.weight</c> and the saved ones <c>base_model.model.…dense.adapter_down.weight</c>.
/// </summary>
/// <remarks>
/// Around a dense layer the projections are <c>Linear</c> layers (bottleneck = out_features / reduction factor; the
/// parallel down-projection reads in_features). Around a convolution or a convolutional block (ResNet's residual
/// blocks) they are 1×1 convolutions over the channels; the parallel down-projection of a convolution copies its
/// kernel, stride and padding, that of a block is a 1×1 convolution with the block's stride. Because of the
/// non-linearity the adapter cannot be folded into the base weights: <see cref="TunerLayer.Merge"/> throws
/// <see cref="NotSupportedException"/>.
/// </remarks>
public sealed class BottleneckAdapterLayer : TunerLayer, IAddsAfterBranchDropout
{
    // Field names are the state-dict names (registered explicitly, after base_layer).
    private readonly AdapterModules<nn.Module<Tensor, Tensor>> adapter_down = new();
    private readonly AdapterModules<nn.Module<Tensor, Tensor>> adapter_up = new();
    private readonly Dictionary<string, AdapterSettings> _settings = new(StringComparer.Ordinal);
    private readonly AdapterGeometry _geometry;

    internal BottleneckAdapterLayer(nn.Module<Tensor, Tensor> baseLayer, AdapterGeometry geometry, string adapterName, BottleneckAdapterConfig config, bool initialize)
        : base(nameof(BottleneckAdapterLayer), baseLayer)
    {
        _geometry = geometry;
        register_module("adapter_down", adapter_down);
        register_module("adapter_up", adapter_up);

        // A new module starts in training mode; the wrapped block (with its BatchNorms) keeps the model's mode.
        train(baseLayer.training);
        UpdateLayer(adapterName, config, initialize);
    }

    /// <summary>The variant of an adapter in this layer.</summary>
    public BottleneckVariant Variant(string adapterName) => Settings(adapterName).Variant;

    /// <summary>The bottleneck width of an adapter in this layer.</summary>
    public long BottleneckSize(string adapterName) => Settings(adapterName).Bottleneck;

    /// <summary>The non-linearity of an adapter in this layer.</summary>
    public AdapterNonLinearity NonLinearity(string adapterName) => Settings(adapterName).NonLinearity;

    /// <summary>The factor the adapter's output is multiplied by.</summary>
    public double Scaling(string adapterName) => Settings(adapterName).Scaling;

    /// <summary>The down-projection of an adapter (<c>Linear</c> or <c>Conv2d</c>).</summary>
    public nn.Module<Tensor, Tensor> Down(string adapterName) => adapter_down[adapterName];

    /// <summary>The up-projection of an adapter (<c>Linear</c> or <c>Conv2d</c>).</summary>
    public nn.Module<Tensor, Tensor> Up(string adapterName) => adapter_up[adapterName];

    /// <inheritdoc />
    public override IEnumerable<Parameter> AdapterParameters(string adapterName)
    {
        if (!adapter_down.TryGet(adapterName, out var down))
        {
            yield break;
        }

        foreach (Parameter p in down.parameters())
        {
            yield return p;
        }

        foreach (Parameter p in adapter_up[adapterName].parameters())
        {
            yield return p;
        }
    }

    /// <summary>Adds an adapter with the (variant-resolved) settings of <paramref name="config"/>.</summary>
    internal void UpdateLayer(string adapterName, BottleneckAdapterConfig config, bool initialize)
    {
        if (HasAdapter(adapterName))
        {
            throw new ArgumentException($"{GetName()} already has an adapter '{adapterName}'.", nameof(adapterName));
        }

        BottleneckAdapterConfig resolved = config.WithVariantDefaults();
        int reduction = resolved.ReductionFactor!.Value;
        long bottleneck = Math.Max(1, _geometry.OutFeatures / reduction); // as AdapterHub: never narrower than one unit

        Tensor weight = BaseWeight();

        // Half-precision bases keep float32 adapters (as PEFT's adapters under autocast).
        ScalarType dtype = weight.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : weight.dtype;
        nn.Module<Tensor, Tensor> down = _geometry.Down(resolved.IsParallel, bottleneck, weight.device, dtype);
        nn.Module<Tensor, Tensor> up = _geometry.Up(bottleneck, weight.device, dtype);
        if (initialize && resolved.InitAdapterWeights)
        {
            using var noGrad = no_grad();
            nn.init.kaiming_uniform_(down.Parameter("weight"), Math.Sqrt(5));
            nn.init.zeros_(down.Parameter("bias"));
            nn.init.zeros_(up.Parameter("weight"));
            nn.init.zeros_(up.Parameter("bias"));
        }

        adapter_down.Add(adapterName, down);
        adapter_up.Add(adapterName, up);
        _settings[adapterName] = new AdapterSettings(resolved.Variant, bottleneck, resolved.NonLinearity!.Value, resolved.Scaling!.Value);
        RegisterAdapterName(adapterName);
        train(training);
    }

    /// <summary>
    /// Inside a BERT-style residual branch: the wrapped projection, then the branch's dropout, then the adapter (on the
    /// dropped-out output, or in parallel on the input), as Houlsby et al. and AdapterHub order them, so the adapter's
    /// own output is not dropped.
    /// </summary>
    Tensor IAddsAfterBranchDropout.Forward(Tensor input, Func<Tensor, Tensor> dropout)
    {
        using var scope = NewDisposeScope();
        Tensor output = dropout(BaseLayer.call(input));
        return (ShouldAdapt ? TransformOutput(input, output) : output).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor TransformOutput(Tensor input, Tensor output)
    {
        string adapter = ActiveAdapter!;
        AdapterSettings settings = Settings(adapter);
        Tensor source = settings.Variant == BottleneckVariant.Parallel ? input : output;
        nn.Module<Tensor, Tensor> down = adapter_down[adapter];
        ScalarType dtype = down.Parameter("weight").dtype;
        Tensor hidden = Activate(down.call(source.dtype == dtype ? source : source.to(dtype)), settings.NonLinearity);
        Tensor update = adapter_up[adapter].call(hidden);
        return output.Plus(update.Scaled(settings.Scaling)).to(output.dtype);
    }

    /// <inheritdoc />
    protected override void RemoveAdapterWeights(string adapterName)
    {
        adapter_down.Remove(adapterName);
        adapter_up.Remove(adapterName);
        _settings.Remove(adapterName);
    }

    /// <inheritdoc />
    public override bool CanMerge => false;

    /// <summary>Always throws: a bottleneck adapter is non-linear, so no change of the base weights reproduces it.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    protected override void MergeAdapterWeights(string adapterName) =>
        throw new NotSupportedException(
            $"Bottleneck adapters ({Variant(adapterName).ToString().ToLowerInvariant()}, adapter '{adapterName}') cannot be merged into the base weights: " +
            $"the {NonLinearity(adapterName).ToString().ToLowerInvariant()} between their projections is not linear, so no change of the wrapped " +
            "module's weights computes the same output. Keep the adapter layers for inference, or use Unload() to remove them without merging.");

    /// <summary>Nothing to do: bottleneck adapters are never merged.</summary>
    protected override void UnmergeAdapterWeights(string adapterName)
    {
    }

    private static Tensor Activate(Tensor x, AdapterNonLinearity nonLinearity) => nonLinearity switch
    {
        AdapterNonLinearity.Relu => nn.functional.relu(x),
        AdapterNonLinearity.Gelu => nn.functional.gelu(x),
        AdapterNonLinearity.Swish => nn.functional.silu(x),
        _ => x.tanh(),
    };

    /// <summary>A weight of the wrapped module, for the device and dtype of new adapters.</summary>
    private Tensor BaseWeight() =>
        BaseLayer.parameters().FirstOrDefault() ??
        throw new ArgumentException($"{GetName()}: the wrapped {BaseLayer.GetType().Name} has no parameters to take a device and dtype from.");

    private AdapterSettings Settings(string adapterName) =>
        _settings.TryGetValue(adapterName, out AdapterSettings? settings)
            ? settings
            : throw new KeyNotFoundException($"{GetName()} has no adapter '{adapterName}'.");

    private sealed record AdapterSettings(BottleneckVariant Variant, long Bottleneck, AdapterNonLinearity NonLinearity, double Scaling);
}
