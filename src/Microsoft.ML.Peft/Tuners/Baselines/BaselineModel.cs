using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// The tuner of the baselines (<see cref="BaselineConfig"/>): it wraps no module, freezes the model, and unfreezes the
/// baseline's parameters and the modules to save; reach it as <see cref="PeftModel.BaseModel"/>. Its adapter file holds
/// exactly those tensors under <c>base_model.model.&lt;key&gt;</c> (the model's own keys), and loading requires all of them.
/// </summary>
public sealed class BaselineModel : TunerModel
{
    internal BaselineModel(nn.Module model)
        : base(nameof(BaselineModel), model)
    {
    }

    /// <summary>Never matched: the baselines own no adapter tensors of their own (see <see cref="ToSavedKey"/>).</summary>
    protected override string AdapterPrefix => "baseline_";

    /// <inheritdoc />
    protected override bool WrapsModules => false;

    /// <inheritdoc />
    protected override bool ExtraSavedKeysRequired => true;

    /// <inheritdoc />
    protected override TunerConfig ResolveConfig(PeftConfig config, string adapterName)
    {
        if (config is not BaselineConfig baseline)
        {
            throw new ArgumentException(
                $"A baseline model cannot take a {config.PeftType} adapter; all adapters of a model must be of one method.", nameof(config));
        }

        if (PeftConfigs.Count > 0)
        {
            throw new ArgumentException(
                $"{baseline.PeftType.ToJson()} trains the model's own tensors in place, so a model holds one baseline adapter at a time " +
                $"(it has [{string.Join(", ", AdapterNames)}]); compare methods on separate copies of the base model.", nameof(config));
        }

        var resolved = baseline with { ModulesToSave = TaskHeads.Resolve(baseline, Model) };
        if (resolved is HeadOnlyConfig && resolved.ModulesToSave is not { Count: > 0 })
        {
            throw new ArgumentException(
                $"HEAD_ONLY would train nothing: no modules to save were given and {Model.GetType().Name} has no head named " +
                $"{string.Join(", ", TaskHeads.CandidateNames)}; set ModulesToSave.", nameof(config));
        }

        return resolved;
    }

    /// <summary>Never called: the baselines wrap no module.</summary>
    protected override TunerLayer CreateLayer(string key, nn.Module target, TunerConfig config, string adapterName, bool initialize) =>
        throw new InvalidOperationException("Baselines wrap no module.");

    /// <summary>Never called: the baselines wrap no module.</summary>
    protected override void AddToLayer(TunerLayer layer, string key, TunerConfig config, string adapterName, bool initialize) =>
        throw new InvalidOperationException("Baselines wrap no module.");

    /// <inheritdoc />
    protected override bool IsOwnLayer(TunerLayer layer) => false;

    /// <summary>No key is an adapter tensor of its own: everything saved comes from <see cref="ExtraSavedKeys"/> and the modules to save.</summary>
    protected override string? ToSavedKey(string key, string adapterName) => null;

    /// <inheritdoc />
    protected override IEnumerable<Parameter> ExtraTrainableParameters(TunerConfig config)
    {
        var names = ((BaselineConfig)config).TrainedParameterNames(Model).ToHashSet(StringComparer.Ordinal);
        return Model.named_parameters().Where(p => names.Contains(p.name)).Select(p => p.parameter);
    }

    /// <inheritdoc />
    protected override IEnumerable<string> ExtraSavedKeys(TunerConfig config, string adapterName, IReadOnlyDictionary<string, Tensor> state)
    {
        var baseline = (BaselineConfig)config;
        return baseline.TrainedParameterNames(Model).Concat(baseline.SavedBufferNames(Model)).Where(state.ContainsKey).Distinct(StringComparer.Ordinal);
    }
}
