using System.Text.Json.Nodes;
using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// The common part of the baselines (<see cref="HeadOnlyConfig"/>, <see cref="BitFitConfig"/>,
/// <see cref="LayerNormTuningConfig"/>, <see cref="FullFineTuningConfig"/>): methods that wrap no module and only choose
/// which of the model's own tensors train, so they run through the same <see cref="PeftModel"/> API as the adapters
/// (trainable-parameter report, <see cref="PeftModel.SavePretrained(string, IEnumerable{string})"/>,
/// <see cref="PeftModel.FromPretrained{TModel}(TModel, string, string, bool)"/>). See <c>Tuners/Baselines/README.md</c>.
/// </summary>
/// <remarks>
/// <para>The task head (<see cref="TunerConfig.ModulesToSave"/>, detected automatically when <c>null</c>) trains as a
/// module to save, as with every method. The other trained tensors are the model's own, trained in place.</para>
/// <para>Consequences: there is nothing to merge (<see cref="PeftModel.Merge"/> and <see cref="PeftModel.Unmerge"/> do
/// nothing, <see cref="PeftModel.MergeAndUnload"/> and <see cref="PeftModel.Unload"/> hand the model back with its
/// trained values); <see cref="PeftModel.DisableAdapter"/> brings back only the original head (the in-place tensors
/// stay trained, as with LoRA's <c>bias = "all"</c>); and a model holds one baseline adapter at a time.</para>
/// <para><see cref="TunerConfig.TargetModules"/> and <see cref="TunerConfig.ExcludeModules"/>, where a baseline
/// accepts them, narrow the modules whose tensors train; <c>layers_to_transform</c> does not apply.</para>
/// </remarks>
public abstract record BaselineConfig : TunerConfig
{
    /// <summary>Whether <see cref="TunerConfig.TargetModules"/> may narrow the trained modules (false for head-only and full fine-tuning).</summary>
    private protected virtual bool AcceptsTargetModules => true;

    /// <summary>The model-relative names of the parameters this baseline trains besides the modules to save.</summary>
    internal abstract IEnumerable<string> TrainedParameterNames(torch.nn.Module model);

    /// <summary>Model-relative buffer names saved with the trained parameters (normalization statistics); none by default.</summary>
    internal virtual IEnumerable<string> SavedBufferNames(torch.nn.Module model) => [];

    /// <summary>Whether the module named <paramref name="moduleName"/> is selected by the target and exclude modules (all when unset).</summary>
    private protected bool Selects(string moduleName) =>
        TargetModuleMatcher.IsTarget(this, moduleName, TargetModules ?? ModuleSelector.FromPattern(".*"));

    /// <summary>The dotted name of the module owning the tensor <paramref name="tensorName"/> (<c>""</c> for the root).</summary>
    private protected static string OwnerOf(string tensorName)
    {
        int dot = tensorName.LastIndexOf('.');
        return dot < 0 ? "" : tensorName[..dot];
    }

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (!AcceptsTargetModules && (TargetModules is not null || ExcludeModules is not null))
        {
            throw new ArgumentException($"{PeftType.ToJson()} does not take target_modules or exclude_modules; it trains {Describe()}.");
        }

        if (LayersToTransform is not null || LayersPattern is not null)
        {
            throw new ArgumentException($"{PeftType.ToJson()} does not take layers_to_transform or layers_pattern; narrow it with TargetModules instead.");
        }
    }

    /// <summary>What this baseline trains, in words, for messages.</summary>
    private protected abstract string Describe();

    /// <inheritdoc />
    internal override TunerModel CreateTunerModel(torch.nn.Module model) => new BaselineModel(model);

    /// <inheritdoc />
    internal override void WriteJson(JsonObject json)
    {
        base.WriteJson(json);
        TunerConfigJson.RemoveUnsetLayerSelection(this, json);
    }
}
