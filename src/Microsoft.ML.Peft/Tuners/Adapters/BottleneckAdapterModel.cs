using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// Injects bottleneck adapters (<see cref="BottleneckAdapterLayer"/>) into a model, in the manner of Hugging Face PEFT's
/// tuners; reach it as <see cref="PeftModel.BaseModel"/>. Parameters are prefixed <c>adapter_</c>. The adapters are
/// non-linear, so <see cref="TunerModel.Merge"/> and <see cref="PeftModel.MergeAndUnload"/> throw
/// <see cref="NotSupportedException"/>; <see cref="PeftModel.Unload"/> removes them.
/// </summary>
public sealed class BottleneckAdapterModel : TunerModel
{
    internal BottleneckAdapterModel(nn.Module model)
        : base(nameof(BottleneckAdapterModel), model)
    {
    }

    /// <summary>The adapter layers by the dotted name of the module they wrap.</summary>
    public IReadOnlyDictionary<string, BottleneckAdapterLayer> AdapterLayers =>
        Layers.ToDictionary(l => l.Key, l => (BottleneckAdapterLayer)l.Layer, StringComparer.Ordinal);

    /// <inheritdoc />
    protected override string AdapterPrefix => "adapter_";

    /// <inheritdoc />
    protected override TunerConfig ResolveConfig(PeftConfig config, string adapterName)
    {
        if (config is not BottleneckAdapterConfig adapter)
        {
            throw new ArgumentException(
                $"A bottleneck adapter model cannot take a {config.PeftType} adapter; all adapters of a model must be of one method.", nameof(config));
        }

        ModuleSelector targets = adapter.TargetModules ?? BottleneckDefaultTargets.For(Model, adapter.Variant) ??
            throw new ArgumentException(
                $"TargetModules is not set and the architecture of {Model.GetType().Name} is not recognized; set TargetModules, " +
                "for example [\"output.dense\"] or a regular expression naming the residual blocks.", nameof(config));
        return adapter.WithVariantDefaults() with
        {
            TargetModules = targets,
            ModulesToSave = TaskHeads.Resolve(adapter, Model),
        };
    }

    /// <inheritdoc />
    protected override TunerLayer CreateLayer(string key, nn.Module target, TunerConfig config, string adapterName, bool initialize)
    {
        AdapterGeometry geometry = AdapterGeometry.For(key, target);
        if (target is not nn.Module<Tensor, Tensor> module)
        {
            throw new ArgumentException($"Target module '{key}' ({target.GetType().Name}) does not take a single tensor.");
        }

        return new BottleneckAdapterLayer(module, geometry, adapterName, (BottleneckAdapterConfig)config, initialize);
    }

    /// <inheritdoc />
    protected override void AddToLayer(TunerLayer layer, string key, TunerConfig config, string adapterName, bool initialize) =>
        ((BottleneckAdapterLayer)layer).UpdateLayer(adapterName, (BottleneckAdapterConfig)config, initialize);

    /// <inheritdoc />
    protected override bool IsOwnLayer(TunerLayer layer) => layer is BottleneckAdapterLayer;
}
