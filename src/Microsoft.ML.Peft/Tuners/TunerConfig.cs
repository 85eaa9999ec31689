using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// The settings of methods that inject adapter layers into named modules (LoRA, IA3, bottleneck adapters): which modules
/// to adapt and which to train fully. Names and semantics are Hugging Face PEFT's.
/// </summary>
public abstract record TunerConfig : PeftConfig
{
    /// <summary>
    /// The modules to adapt (<c>target_modules</c>). <c>null</c> picks the method's default for the architecture (for
    /// LoRA on BERT/RoBERTa <c>query</c> and <c>value</c>), failing if the architecture is not recognized.
    /// </summary>
    public ModuleSelector? TargetModules { get; init; }

    /// <summary>Modules never to adapt even when <see cref="TargetModules"/> selects them (<c>exclude_modules</c>), same forms.</summary>
    public ModuleSelector? ExcludeModules { get; init; }

    /// <summary>
    /// Only adapt targets inside these layer indices (<c>layers_to_transform</c>): the number after the
    /// <see cref="LayersPattern"/> segment, as in <c>encoder.layer.3.attention.self.query</c>. Needs a name-list target.
    /// </summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>
    /// The name of the module list that holds the layers (<c>layers_pattern</c>, for example <c>"layer"</c>,
    /// <c>"layers"</c> or <c>"h"</c>; each entry is a regular expression). <c>null</c> accepts any name, as PEFT does.
    /// </summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }

    /// <summary>
    /// Modules trained fully and saved with the adapter (<c>modules_to_save</c>), typically the task head. A module
    /// matches when its dotted name ends with an entry (PEFT's rule). <c>null</c> picks the task head automatically
    /// (<c>classifier</c>, <c>score</c> or <c>fc</c>, whichever exist); an empty list trains no extra module. As in PEFT,
    /// a <see cref="PeftConfig.TaskType"/> of <c>SeqCls</c> or <c>TokenCls</c> adds <c>classifier</c>/<c>score</c>, and
    /// <c>QuestionAns</c> adds <c>qa_outputs</c>, to a given list (empty included) where the model has them.
    /// Entries that match nothing are ignored, as PEFT ignores them.
    /// </summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }

    /// <summary>Checks the combinations PEFT rejects.</summary>
    /// <exception cref="ArgumentException">The targeting settings contradict each other.</exception>
    internal virtual void Validate()
    {
        if (TargetModules is { IsPattern: true } && LayersToTransform is not null)
        {
            throw new ArgumentException("LayersToTransform cannot be used when TargetModules is a regular expression.");
        }

        if (TargetModules is { IsPattern: true } && LayersPattern is not null)
        {
            throw new ArgumentException("LayersPattern cannot be used when TargetModules is a regular expression.");
        }

        if (LayersPattern is { Count: > 0 } && LayersToTransform is null or { Count: 0 })
        {
            throw new ArgumentException("When LayersPattern is given, LayersToTransform must be given too.");
        }
    }

    /// <inheritdoc />
    internal override void WriteJson(JsonObject json)
    {
        base.WriteJson(json);
        json["target_modules"] = SelectorToJson(TargetModules);
        if (ExcludeModules is not null)
        {
            // Written only when set: PEFT added the field in 0.14, and 0.10-0.12 refuse keys they do not know.
            json["exclude_modules"] = SelectorToJson(ExcludeModules);
        }

        json["layers_to_transform"] = LayersToTransform is null ? null : new JsonArray(LayersToTransform.Select(i => (JsonNode)i).ToArray());
        json["layers_pattern"] = LayersPattern is null ? null : new JsonArray(LayersPattern.Select(p => (JsonNode)p).ToArray());
        json["modules_to_save"] = ModulesToSave is null ? null : new JsonArray(ModulesToSave.Select(m => (JsonNode)m).ToArray());
    }

    /// <summary>PEFT stores a name list as a set, so its order carries no meaning; we write it sorted for stable files.</summary>
    internal static JsonNode? SelectorToJson(ModuleSelector? selector) => selector switch
    {
        null => null,
        { Pattern: { } pattern } => pattern,
        _ => new JsonArray(selector.Names.OrderBy(n => n, StringComparer.Ordinal).Select(n => (JsonNode)n).ToArray()),
    };
}
