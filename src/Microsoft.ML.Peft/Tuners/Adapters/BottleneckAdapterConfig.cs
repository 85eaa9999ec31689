using System.Text.Json.Nodes;
using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// The configuration of a bottleneck adapter (AdapterHub style: down-projection, non-linearity, up-projection, added
/// to the wrapped module's output). Hugging Face PEFT has no bottleneck adapters, so the file format is this
/// library's own: <c>peft_type</c> <c>"BOTTLENECK_ADAPTER"</c>; see <c>Tuners/Adapters/README.md</c>.
/// </summary>
/// <remarks>
/// <see cref="ReductionFactor"/>, <see cref="NonLinearity"/> and <see cref="Scaling"/> left <c>null</c> take the
/// variant's defaults (see <see cref="BottleneckVariant"/>); the configuration stored in the model and saved to
/// <c>adapter_config.json</c> has them filled in.
/// </remarks>
/// <example><code>
/// var peft = PeftModel.Create(model, new BottleneckAdapterConfig { Variant = BottleneckVariant.Pfeiffer, ReductionFactor = 16 });
/// </code></example>
public sealed record BottleneckAdapterConfig : TunerConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.BottleneckAdapter;

    /// <summary>Where the adapters sit and whether they read the module's output (sequential) or input (parallel); default Houlsby.</summary>
    public BottleneckVariant Variant { get; init; } = BottleneckVariant.Houlsby;

    /// <summary>
    /// The bottleneck width is the adapted module's output width divided by this (integer division, as AdapterHub),
    /// for example 768 / 16 = 48. <c>null</c>: 16 for Houlsby and Pfeiffer, 2 for parallel.
    /// </summary>
    public int? ReductionFactor { get; init; }

    /// <summary>The activation of the bottleneck. <c>null</c>: swish for Houlsby, ReLU for Pfeiffer and parallel.</summary>
    public AdapterNonLinearity? NonLinearity { get; init; }

    /// <summary>The factor the adapter's output is multiplied by before it is added. <c>null</c>: 1 for Houlsby and Pfeiffer, 4 for parallel.</summary>
    public double? Scaling { get; init; }

    /// <summary>
    /// Whether new adapters start as the identity (<c>init_adapter_weights</c>, default true): the down-projection's
    /// weight Kaiming-uniform (a = √5), its bias zero, the up-projection's weight and bias zero (AdapterHub's
    /// <c>init_weights="mam_adapter"</c>), so the adapted model computes exactly what the base model computes. False
    /// keeps TorchSharp's default (random) initialization of both projections (meant for tests).
    /// </summary>
    public bool InitAdapterWeights { get; init; } = true;

    /// <summary>Whether the adapter reads the module's input (<see cref="BottleneckVariant.Parallel"/>).</summary>
    public bool IsParallel => Variant == BottleneckVariant.Parallel;

    /// <summary>This configuration with the variant's defaults filled in where a field is <c>null</c>.</summary>
    public BottleneckAdapterConfig WithVariantDefaults() => this with
    {
        ReductionFactor = ReductionFactor ?? (IsParallel ? 2 : 16),
        NonLinearity = NonLinearity ?? (Variant == BottleneckVariant.Houlsby ? AdapterNonLinearity.Swish : AdapterNonLinearity.Relu),
        Scaling = Scaling ?? (IsParallel ? 4.0 : 1.0),
    };

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (ReductionFactor is <= 0)
        {
            throw new ArgumentException($"reduction_factor must be a positive integer, got {ReductionFactor}.");
        }

        if (Scaling is { } scaling && !double.IsFinite(scaling))
        {
            throw new ArgumentException($"scaling must be a finite number, got {scaling}.");
        }

        if (!Enum.IsDefined(Variant))
        {
            throw new ArgumentException($"Unknown bottleneck adapter variant {Variant}.");
        }

        if (NonLinearity is { } nonLinearity && !Enum.IsDefined(nonLinearity))
        {
            throw new ArgumentException($"Unknown non_linearity {nonLinearity}; expected one of {string.Join(", ", Enum.GetNames<AdapterNonLinearity>())}.");
        }
    }

    /// <inheritdoc />
    internal override TunerModel CreateTunerModel(torch.nn.Module model) => new BottleneckAdapterModel(model);

    /// <inheritdoc />
    internal override void WriteJson(JsonObject json)
    {
        base.WriteJson(json);
        BottleneckAdapterConfigJson.Write(this, json);
    }
}
