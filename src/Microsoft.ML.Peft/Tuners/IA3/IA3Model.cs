using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// Injects (IA)³ layers (<see cref="IA3Linear"/>, <see cref="IA3Conv2d"/>) into a model, as Hugging Face PEFT's
/// <c>IA3Model</c>; reach it as <see cref="PeftModel.BaseModel"/>. Parameters are prefixed <c>ia3_</c>.
/// </summary>
public sealed class IA3Model : TunerModel
{
    internal IA3Model(nn.Module model)
        : base(nameof(IA3Model), model)
    {
    }

    /// <summary>The (IA)³ layers by the dotted name of the module they wrap.</summary>
    public IReadOnlyDictionary<string, IA3Layer> IA3Layers =>
        Layers.ToDictionary(l => l.Key, l => (IA3Layer)l.Layer, StringComparer.Ordinal);

    /// <inheritdoc />
    protected override string AdapterPrefix => "ia3_";

    /// <summary>PEFT's <c>_prepare_adapter_config</c>: missing target or feed-forward modules come from the architecture.</summary>
    protected override TunerConfig ResolveConfig(PeftConfig config, string adapterName)
    {
        if (config is not IA3Config ia3)
        {
            throw new ArgumentException($"An IA3 model cannot take a {config.PeftType} adapter; all adapters of a model must be of one method.", nameof(config));
        }

        var defaults = IA3DefaultTargets.For(Model);
        ModuleSelector targets = ia3.TargetModules ?? defaults?.Targets ??
            throw new ArgumentException(
                $"TargetModules is not set and the architecture of {Model.GetType().Name} is not recognized; set TargetModules " +
                "(and FeedforwardModules), for example [\"key\", \"value\", \"output.dense\"].", nameof(config));
        ModuleSelector feedforward = ia3.FeedforwardModules ?? defaults?.Feedforward ??
            throw new ArgumentException(
                $"FeedforwardModules is not set and the architecture of {Model.GetType().Name} is not recognized; set FeedforwardModules " +
                "(an empty list when no target is feed-forward).", nameof(config));
        return ia3 with
        {
            TargetModules = targets,
            FeedforwardModules = feedforward,
            ModulesToSave = TaskHeads.Resolve(ia3, Model),
        };
    }

    /// <inheritdoc />
    protected override TunerLayer CreateLayer(string key, nn.Module target, TunerConfig config, string adapterName, bool initialize)
    {
        var ia3 = (IA3Config)config;
        bool feedforward = ia3.IsFeedforward(key);
        return target switch
        {
            Conv2d conv => new IA3Conv2d(conv, adapterName, feedforward, ia3, initialize),
            nn.Module<Tensor, Tensor> dense when IA3Linear.Supports(target, ia3) => new IA3Linear(dense, adapterName, feedforward, ia3, initialize),
            _ => throw new ArgumentException(
                $"Target module '{key}' ({target.GetType().Name}) is not supported. (IA)³ supports Linear and Conv2d, and with " +
                "FanInFanOut layers whose 2-D weight is stored [in, out]; narrow TargetModules to such layers."),
        };
    }

    /// <inheritdoc />
    protected override void AddToLayer(TunerLayer layer, string key, TunerConfig config, string adapterName, bool initialize)
    {
        var ia3Layer = (IA3Layer)layer;
        var ia3 = (IA3Config)config;
        if (ia3Layer.IsFeedforward != ia3.IsFeedforward(key))
        {
            // The flag belongs to the layer in PEFT too: a second adapter inherits it.
            throw new ArgumentException(
                $"Module '{key}' is {(ia3Layer.IsFeedforward ? "" : "not ")}feed-forward for the existing (IA)³ adapters; " +
                "all adapters of a layer must agree (check FeedforwardModules).");
        }

        ia3Layer.UpdateLayer(adapterName, ia3.InitIA3Weights || !initialize);
    }

    /// <inheritdoc />
    protected override bool IsOwnLayer(TunerLayer layer) => layer is IA3Layer;
}
