using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// Injects one kind of adapter layer into a model and manages its named adapters, as Hugging Face PEFT's
/// <c>BaseTuner</c> (<c>LoraModel</c> derives from it). The model is registered as <c>model</c>, so inside a
/// <see cref="PeftModel"/> every key starts with <c>base_model.model.</c> exactly as in PEFT.
/// </summary>
/// <remarks>
/// A method provides its layer type (derived from <see cref="TunerLayer"/>), how to create it for a target module, and
/// its defaults; selection of targets, modules to save, freezing, adapter switching, merging, unloading and the
/// PEFT state-dict layout are shared here.
/// </remarks>
public abstract class TunerModel : nn.Module
{
    /// <summary>The prefix of every key in an adapter file: the PEFT model's <c>base_model</c>, then this tuner's <c>model</c>.</summary>
    internal const string SavedKeyPrefix = "base_model.model.";

    // Registered as "model" (the field name is the state-dict name).
    private nn.Module? model;
    private readonly Dictionary<string, TunerConfig> _configs = new(StringComparer.Ordinal);
    private readonly List<string> _adapterOrder = [];
    private readonly List<InjectedLayer> _layers = [];
    private readonly List<ModuleToSave> _modulesToSave = [];
    private readonly Dictionary<string, bool> _originalRequiresGrad = new(StringComparer.Ordinal);

    // Per adapter, the task heads added to a given modules_to_save list (TaskHeads.Resolve): files written before that
    // rule, or by tools that keep the list as given, hold no tensors for them, and loading keeps the base head's copy.
    private readonly Dictionary<string, IReadOnlyList<string>> _addedTaskHeads = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="model"/> as <c>model</c> and remembers which of its parameters required gradients.</summary>
    protected TunerModel(string name, nn.Module model)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        bool training = model.training;
        register_module("model", model);
        train(training); // registering a child gives it the new parent's (training) mode; keep the model's own
        // By name: moving the model to another device replaces the parameter objects.
        foreach (var (parameterName, parameter) in model.named_parameters())
        {
            _originalRequiresGrad[parameterName] = parameter.requires_grad;
        }
    }

    /// <summary>The adapted model.</summary>
    public nn.Module Model => model ?? throw new InvalidOperationException("The adapters were unloaded; this tuner no longer holds a model.");

    /// <summary>The configuration of every adapter, by adapter name (PEFT's <c>peft_config</c>).</summary>
    public IReadOnlyDictionary<string, TunerConfig> PeftConfigs => _configs;

    /// <summary>The adapter names in the order they were added.</summary>
    public IReadOnlyList<string> AdapterNames => _adapterOrder;

    /// <summary>The adapter used in the forward pass, or <c>null</c> when none is left.</summary>
    public string? ActiveAdapter { get; private set; }

    /// <summary>Whether the adapters are switched off (see <see cref="DisableAdapters"/>).</summary>
    public bool AdaptersDisabled { get; private set; }

    /// <summary>Whether an adapter is merged into the base weights.</summary>
    public bool IsMerged => _layers.Any(l => l.Layer.IsMerged);

    /// <summary>The adapter layers by the dotted name of the module they wrap.</summary>
    public IReadOnlyDictionary<string, TunerLayer> TunerLayers => _layers.ToDictionary(l => l.Key, l => l.Layer, StringComparer.Ordinal);

    /// <summary>The dotted names of the modules trained fully and saved with the adapters.</summary>
    public IReadOnlyList<string> ModulesToSaveKeys => _modulesToSave.Select(m => m.Key).ToList();

    /// <summary>The prefix of this method's parameter names (PEFT's <c>prefix</c>, <c>"lora_"</c> for LoRA).</summary>
    protected abstract string AdapterPrefix { get; }

    /// <summary>Checks the configuration type and fills in defaults (target modules, modules to save) against the model.</summary>
    protected abstract TunerConfig ResolveConfig(PeftConfig config, string adapterName);

    /// <summary>Creates the adapter layer for a matched module, holding the adapter <paramref name="adapterName"/>.</summary>
    /// <param name="key">The dotted name of the module.</param>
    /// <param name="target">The module.</param>
    /// <param name="config">The resolved configuration.</param>
    /// <param name="adapterName">The adapter to create.</param>
    /// <param name="initialize">False when the weights are about to be loaded from a file (skip expensive or base-changing initialization).</param>
    /// <exception cref="ArgumentException">The module type is not supported by this method.</exception>
    protected abstract TunerLayer CreateLayer(string key, nn.Module target, TunerConfig config, string adapterName, bool initialize);

    /// <summary>Adds another adapter to an existing layer of this method.</summary>
    protected abstract void AddToLayer(TunerLayer layer, string key, TunerConfig config, string adapterName, bool initialize);

    /// <summary>Whether <paramref name="layer"/> is one of this method's layers.</summary>
    protected abstract bool IsOwnLayer(TunerLayer layer);

    /// <summary>
    /// Whether this method wraps target modules in adapter layers (true for LoRA, IA3 and bottleneck adapters). The
    /// baselines (head-only, BitFit, …) wrap nothing: they only choose which base parameters train, through
    /// <see cref="ExtraTrainableParameters"/> and <see cref="ExtraSavedKeys"/>, and ignore <c>target_modules</c>.
    /// </summary>
    protected virtual bool WrapsModules => true;

    /// <summary>
    /// Whether loading fails when a key of <see cref="ExtraSavedKeys"/> is absent from the file. False by default
    /// (PEFT's LoRA <c>lora_only</c> files lack the biases); true for the baselines, whose extra keys are the adapter.
    /// </summary>
    protected virtual bool ExtraSavedKeysRequired => false;

    /// <summary>Base parameters that train with the active adapter besides its own (LoRA's <c>bias</c> setting).</summary>
    protected virtual IEnumerable<Parameter> ExtraTrainableParameters(TunerConfig config) => [];

    /// <summary>Model-relative state-dict keys saved with the adapter besides its own (LoRA's <c>bias</c> setting).</summary>
    protected virtual IEnumerable<string> ExtraSavedKeys(TunerConfig config, string adapterName, IReadOnlyDictionary<string, Tensor> state) => [];

    /// <summary>
    /// The saved form of a model-relative key of <paramref name="adapterName"/>'s own tensors, or <c>null</c> when the key
    /// is not one: PEFT drops the adapter-name segment after the method's prefix (<c>…query.lora_A.default.weight</c> →
    /// <c>…query.lora_A.weight</c>).
    /// </summary>
    protected virtual string? ToSavedKey(string key, string adapterName)
    {
        string[] segments = key.Split('.');
        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i].StartsWith(AdapterPrefix, StringComparison.Ordinal) && segments[i + 1] == adapterName)
            {
                return string.Join('.', segments.Take(i + 1).Concat(segments.Skip(i + 2)));
            }
        }

        return null;
    }

    /// <summary>The layer a module name belongs to, for derived tuners.</summary>
    protected IEnumerable<(string Key, TunerLayer Layer)> Layers => _layers.Select(l => (l.Key, l.Layer));

    /// <summary>Adds an adapter: selects the target modules, wraps them, copies the modules to save, and freezes the rest.</summary>
    /// <exception cref="ArgumentException">The name is taken or invalid, the configuration is of another method, or no module matches.</exception>
    internal void InjectAdapter(string adapterName, PeftConfig config, bool initialize)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateAdapterName(adapterName);
        if (_configs.ContainsKey(adapterName))
        {
            throw new ArgumentException($"An adapter named '{adapterName}' already exists.", nameof(adapterName));
        }

        TunerConfig resolved = ResolveConfig(config, adapterName);
        resolved.Validate();

        var modules = Model.named_modules().ToList();
        var insideLayers = _layers.Select(l => l.Key + ".").ToList();
        bool IsInsideLayer(string key) => insideLayers.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));

        List<(string name, nn.Module module)> matches = [];
        if (WrapsModules)
        {
            ModuleSelector targets = resolved.TargetModules ??
                                     throw new ArgumentException("The configuration selects no target modules.", nameof(config));
            matches = modules
                .Where(m => !IsInsideLayer(m.name) && TargetModuleMatcher.IsTarget(resolved, m.name, targets))
                .ToList();
            if (matches.Count == 0)
            {
                throw new ArgumentException(NoMatchMessage(targets, modules.Select(m => m.name)), nameof(config));
            }
        }

        // Check and create everything before changing the model, so a failure leaves it as it was: first whether this
        // method supports each module, then whether the forward path can reach an adapter there.
        var existing = new List<(string Key, TunerLayer Layer)>();
        var created = new List<(ModuleReplacer.Plan? Plan, TunerLayer Layer, string Key)>();
        try
        {
            foreach (var (key, module) in matches)
            {
                if (module is TunerLayer layer)
                {
                    existing.Add(IsOwnLayer(layer)
                        ? (key, layer)
                        : throw new ArgumentException($"Module '{key}' already carries a {layer.GetType().Name}; adapters of different methods cannot be stacked."));
                }
                else
                {
                    created.Add((null, CreateLayer(key, module, resolved, adapterName, initialize), key));
                }
            }

            for (int i = 0; i < created.Count; i++)
            {
                created[i] = created[i] with { Plan = ModuleReplacer.PlanFor(Model, created[i].Key) };
            }
        }
        catch
        {
            foreach (var (_, layer, _) in created)
            {
                layer.ReleaseBaseLayer();
                layer.Dispose();
            }

            throw;
        }

        foreach (var (key, layer) in existing)
        {
            AddToLayer(layer, key, resolved, adapterName, initialize);
            layer.train(layer.BaseLayer.training); // new adapter modules start in training mode; keep the model's mode
        }

        foreach (var (plan, layer, key) in created)
        {
            // A new module starts in training mode: keep the mode of the module it wraps, so an eval-mode model
            // stays in eval mode (no LoRA dropout, BatchNorm on running statistics).
            layer.train(layer.BaseLayer.training);
            layer.SetAdapter(ActiveAdapter ?? adapterName);
            _layers.Add(new InjectedLayer(key, layer, plan!.Apply(layer)));
        }

        AddModulesToSave(adapterName, resolved, modules.Select(m => m.name).Where(n => !IsInsideLayer(n)).ToList());

        _configs[adapterName] = resolved;
        _addedTaskHeads[adapterName] = config is TunerConfig { ModulesToSave: { } given } && resolved.ModulesToSave is { } saved
            ? saved.Except(given, StringComparer.Ordinal).ToList()
            : [];
        _adapterOrder.Add(adapterName);
        if (ActiveAdapter is null)
        {
            SetAdapter(adapterName);
        }
        else
        {
            ApplyTrainability();
        }
    }

    /// <summary>Makes <paramref name="adapterName"/> the adapter of the forward pass and the one that trains (unless in inference mode).</summary>
    /// <exception cref="ArgumentException">No adapter has that name.</exception>
    public void SetAdapter(string adapterName)
    {
        RequireAdapter(adapterName);
        if (IsMerged)
        {
            // PEFT unmerges too: the merged weights belong to the previous adapter.
            Unmerge();
        }

        foreach (InjectedLayer injected in _layers)
        {
            injected.Layer.SetAdapter(adapterName);
        }

        ActiveAdapter = adapterName;
        foreach (ModuleToSave module in _modulesToSave)
        {
            module.Activate(AdaptersDisabled ? null : adapterName);
        }

        ApplyTrainability();
    }

    /// <summary>Deletes an adapter; if it was active, the first remaining adapter becomes active.</summary>
    /// <exception cref="ArgumentException">No adapter has that name.</exception>
    public void DeleteAdapter(string adapterName)
    {
        RequireAdapter(adapterName);
        if (IsMerged)
        {
            Unmerge();
        }

        foreach (InjectedLayer injected in _layers)
        {
            injected.Layer.DeleteAdapter(adapterName);
        }

        foreach (ModuleToSave module in _modulesToSave)
        {
            module.RemoveAdapter(adapterName);
        }

        _configs.Remove(adapterName);
        _addedTaskHeads.Remove(adapterName);
        _adapterOrder.Remove(adapterName);
        if (ActiveAdapter == adapterName)
        {
            ActiveAdapter = null;
            if (_adapterOrder.Count > 0)
            {
                SetAdapter(_adapterOrder[0]);
                return;
            }

            foreach (InjectedLayer injected in _layers)
            {
                injected.Layer.SetAdapter(null);
            }
        }

        ApplyTrainability();
    }

    /// <summary>Switches every adapter off, so the model computes exactly what the base model computes (merged weights are unmerged first).</summary>
    public void DisableAdapters()
    {
        if (IsMerged)
        {
            Unmerge();
        }

        foreach (InjectedLayer injected in _layers)
        {
            injected.Layer.EnableAdapters(false);
        }

        foreach (ModuleToSave module in _modulesToSave)
        {
            module.Activate(null);
        }

        AdaptersDisabled = true;
    }

    /// <summary>Switches the adapters back on after <see cref="DisableAdapters"/>.</summary>
    public void EnableAdapters()
    {
        foreach (InjectedLayer injected in _layers)
        {
            injected.Layer.EnableAdapters(true);
        }

        foreach (ModuleToSave module in _modulesToSave)
        {
            module.Activate(ActiveAdapter);
        }

        AdaptersDisabled = false;
    }

    /// <summary>Merges the active adapter (or the given ones) into the base weights.</summary>
    /// <exception cref="InvalidOperationException">No adapter is active, or the adapters are disabled.</exception>
    /// <exception cref="NotSupportedException">A layer of these adapters cannot be merged (nothing is merged then).</exception>
    public void Merge(IEnumerable<string>? adapterNames = null)
    {
        List<string> names = adapterNames?.ToList() ??
                             [ActiveAdapter ?? throw new InvalidOperationException("There is no active adapter to merge.")];
        foreach (string name in names)
        {
            RequireAdapter(name);
        }

        // Refused before any layer merges, so a model with layers that cannot merge is left exactly as it was.
        if (_layers.FirstOrDefault(l => !l.Layer.CanMerge && names.Any(l.Layer.HasAdapter)) is { } unmergeable)
        {
            unmergeable.Layer.Merge(names.First(unmergeable.Layer.HasAdapter)); // throws the layer's own NotSupportedException
        }

        if (AdaptersDisabled)
        {
            // A disabled model promises the base model's outputs; merged weights would break that promise silently.
            throw new InvalidOperationException("The adapters are disabled (DisableAdapter); merge after enabling them again.");
        }

        foreach (InjectedLayer injected in _layers)
        {
            foreach (string name in names)
            {
                injected.Layer.Merge(name);
            }
        }
    }

    /// <summary>Whether every layer of <paramref name="adapterName"/> (default: the active adapter) can be merged into the base weights.</summary>
    public bool CanMerge(string? adapterName = null)
    {
        string? name = adapterName ?? ActiveAdapter;
        return name is null || _layers.All(l => l.Layer.CanMerge || !l.Layer.HasAdapter(name));
    }

    /// <summary>Takes merged adapters out of the base weights again.</summary>
    public void Unmerge()
    {
        foreach (InjectedLayer injected in _layers)
        {
            injected.Layer.Unmerge();
        }
    }

    /// <summary>
    /// Removes every adapter layer, putting the original modules back (after merging the active adapter when
    /// <paramref name="merge"/>), keeps the active adapter's values in the modules to save, restores which parameters
    /// required gradients, and hands the model back. This tuner is empty afterwards.
    /// </summary>
    internal nn.Module Unload(bool merge)
    {
        if (merge && ActiveAdapter is not null)
        {
            // As PEFT's merge_and_unload: the active adapter is merged even while disabled, so the returned model is the
            // adapted one (its modules to save keep the adapter's values below as well).
            if (!CanMerge())
            {
                Merge(); // throws the layer's NotSupportedException while nothing has changed yet (disabled adapters stay so)
            }

            if (AdaptersDisabled)
            {
                EnableAdapters();
            }

            Merge();
        }

        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            InjectedLayer injected = _layers[i];
            injected.Replacement.Restore();
            injected.Layer.ReleaseBaseLayer();
            injected.Layer.Dispose();
        }

        _layers.Clear();
        foreach (ModuleToSave module in _modulesToSave)
        {
            module.Activate(ActiveAdapter);
            module.Dispose();
        }

        _modulesToSave.Clear();
        foreach (var (name, parameter) in Model.named_parameters())
        {
            if (_originalRequiresGrad.TryGetValue(name, out bool requiresGrad))
            {
                parameter.requires_grad = requiresGrad;
            }
        }

        nn.Module result = Model;
        register_module("model", null!);
        model = null;
        _configs.Clear();
        _addedTaskHeads.Clear();
        _adapterOrder.Clear();
        ActiveAdapter = null;
        return result;
    }

    /// <summary>
    /// Whether <paramref name="key"/> is a tensor of PEFT's wrapper around a module to save
    /// (<c>…classifier.original_module.bias</c>, <c>…classifier.modules_to_save.bias</c>): PEFT's <c>bias="all"</c> saves
    /// every key with "bias" in it, these included, next to the module's own <c>…classifier.bias</c>. The first is the
    /// base's value, the second a copy of the saved one, so both are skipped, as PEFT's non-strict load ignores them
    /// (only where the module's own key, <c>…classifier.bias</c>, is in the file too).
    /// </summary>
    private bool IsPeftWrapperCopy(string key, string adapterName, ITensorSource source)
    {
        foreach (ModuleToSave module in _modulesToSave.Where(m => m.HasAdapter(adapterName)))
        {
            string head = SavedKeyPrefix + module.Key + ".";
            foreach (string wrapper in new[] { "original_module.", "modules_to_save." })
            {
                if (key.StartsWith(head + wrapper, StringComparison.Ordinal))
                {
                    return source.Contains(head + key[(head.Length + wrapper.Length)..]);
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The tensors saved for an adapter, under the keys of Hugging Face PEFT's <c>get_peft_model_state_dict</c>
    /// (<c>base_model.model.…lora_A.weight</c>, adapter name removed). The values are the live tensors (or the adapter's
    /// copies of a module to save), so loading can copy into them.
    /// </summary>
    internal Dictionary<string, Tensor> GetAdapterStateDict(string adapterName) =>
        AdapterStateDict(adapterName, includeExtra: true);

    /// <summary>Copies the tensors of an adapter file into the adapter (see <see cref="GetAdapterStateDict"/> for the keys).</summary>
    /// <exception cref="WeightLoadException">A key is missing or unexpected, or a shape differs.</exception>
    internal void LoadAdapterStateDict(string adapterName, ITensorSource source)
    {
        RequireAdapter(adapterName);
        Dictionary<string, Tensor> targets = AdapterStateDict(adapterName, includeExtra: true);
        var required = AdapterStateDict(adapterName, includeExtra: ExtraSavedKeysRequired).Keys.ToHashSet(StringComparer.Ordinal);

        var unexpected = source.Keys.Where(k => !targets.ContainsKey(k) && !IsPeftWrapperCopy(k, adapterName, source)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            throw new WeightLoadException(
                $"{source.Description} has {unexpected.Count} tensor(s) this model has no place for, e.g. " +
                $"[{string.Join(", ", unexpected.Take(8))}]. Was the adapter trained on a model with other module names or more layers? " +
                $"This adapter's keys look like [{string.Join(", ", targets.Keys.Order(StringComparer.Ordinal).Take(4))}].");
        }

        // Bias keys may be absent: PEFT's own 'lora_only' files do not contain them. So may the task heads added to the
        // file's own modules_to_save list: as in PEFT, whose load is not strict there, they keep the base head's values.
        if (_addedTaskHeads.TryGetValue(adapterName, out IReadOnlyList<string>? addedHeads) && addedHeads.Count > 0)
        {
            foreach (ModuleToSave module in _modulesToSave.Where(m => m.HasAdapter(adapterName) && TargetModuleMatcher.IsModuleToSave(addedHeads, m.Key)))
            {
                string prefix = SavedKeyPrefix + module.Key + ".";
                bool fileHasHead = source.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
                if (!fileHasHead)
                {
                    required.RemoveWhere(k => k.StartsWith(prefix, StringComparison.Ordinal));
                }
            }
        }

        var missing = required.Where(k => !source.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new WeightLoadException(
                $"{source.Description} lacks {missing.Count} tensor(s) of adapter '{adapterName}', e.g. [{string.Join(", ", missing.Take(8))}].");
        }

        using var noGrad = no_grad();
        foreach (string key in source.Keys.Where(targets.ContainsKey))
        {
            Tensor target = targets[key];
            long[] shape = source.GetShape(key);
            if (!shape.SequenceEqual(target.shape))
            {
                throw new WeightLoadException(
                    $"{source.Description}: tensor '{key}' has shape [{string.Join(", ", shape)}] but the model expects " +
                    $"[{string.Join(", ", target.shape)}] (a different rank r, rank_pattern or base model?).");
            }

            using Tensor value = source.Read(key, target.dtype);
            target.copy_(value);
        }
    }

    /// <summary>Every parameter that currently requires a gradient (what an optimizer should get).</summary>
    internal IEnumerable<Parameter> TrainableParameters() => Model.parameters().Where(p => p.requires_grad);

    private Dictionary<string, Tensor> AdapterStateDict(string adapterName, bool includeExtra)
    {
        RequireAdapter(adapterName);
        TunerConfig config = _configs[adapterName];
        Dictionary<string, Tensor> state = Model.state_dict();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in state)
        {
            if (ToSavedKey(key, adapterName) is { } saved)
            {
                result[SavedKeyPrefix + saved] = tensor;
            }
        }

        if (includeExtra)
        {
            foreach (string key in ExtraSavedKeys(config, adapterName, state))
            {
                result[SavedKeyPrefix + key] = state[key];
            }
        }

        foreach (ModuleToSave module in _modulesToSave.Where(m => m.HasAdapter(adapterName)))
        {
            foreach (var (key, tensor) in module.StateOf(adapterName))
            {
                result[SavedKeyPrefix + module.Key + "." + key] = tensor;
            }
        }

        return result;
    }

    private void AddModulesToSave(string adapterName, TunerConfig config, IReadOnlyList<string> moduleNames)
    {
        if (config.ModulesToSave is not { Count: > 0 } toSave)
        {
            return;
        }

        var matched = moduleNames.Where(name => TargetModuleMatcher.IsModuleToSave(toSave, name)).ToList();

        // A module inside another one to save is saved with it.
        matched = matched.Where(name => !matched.Any(other => name.StartsWith(other + ".", StringComparison.Ordinal))).ToList();
        foreach (string key in matched)
        {
            ModuleToSave? entry = _modulesToSave.FirstOrDefault(m => m.Key == key);
            if (entry is null)
            {
                nn.Module module = ModuleTree.Get(Model, key);
                if (module is TunerLayer || module.named_modules().Any(m => m.module is TunerLayer))
                {
                    throw new ArgumentException($"Module '{key}' is to be trained fully but it holds adapter layers; exclude it from the target modules.");
                }

                entry = new ModuleToSave(key, module);
                _modulesToSave.Add(entry);
            }

            entry.AddAdapter(adapterName);
            if (ActiveAdapter is null || ActiveAdapter == adapterName)
            {
                entry.Activate(AdaptersDisabled ? null : adapterName);
            }
        }
    }

    /// <summary>Gives a new adapter a copy of another adapter's modules to save (for combined adapters).</summary>
    internal void CopyModulesToSave(string sourceAdapter, string adapterName)
    {
        foreach (ModuleToSave module in _modulesToSave.Where(m => m.HasAdapter(sourceAdapter)))
        {
            module.CopyAdapter(sourceAdapter, adapterName);
        }
    }

    /// <summary>The modules to save that hold a copy for <paramref name="adapterName"/>.</summary>
    internal IEnumerable<string> ModulesToSaveOf(string adapterName) =>
        _modulesToSave.Where(m => m.HasAdapter(adapterName)).Select(m => m.Key);

    /// <summary>Freezes everything but the active adapter's parameters, its extra trainable parameters and its modules to save.</summary>
    internal void ApplyTrainability()
    {
        // The adapter layers are part of the model's module tree, so this freezes every adapter too.
        foreach (Parameter parameter in Model.parameters())
        {
            parameter.requires_grad = false;
        }

        if (ActiveAdapter is not { } active || _configs[active].InferenceMode)
        {
            return;
        }

        foreach (InjectedLayer injected in _layers.Where(l => l.Layer.HasAdapter(active)))
        {
            foreach (Parameter parameter in injected.Layer.AdapterParameters(active))
            {
                parameter.requires_grad = true;
            }
        }

        foreach (Parameter parameter in ExtraTrainableParameters(_configs[active]))
        {
            parameter.requires_grad = true;
        }

        foreach (ModuleToSave module in _modulesToSave.Where(m => m.HasAdapter(active)))
        {
            foreach (Parameter parameter in module.Parameters())
            {
                parameter.requires_grad = true;
            }
        }
    }

    /// <summary>Disposes the copies of the modules to save along with the modules.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (ModuleToSave module in _modulesToSave)
            {
                module.Dispose();
            }

            _modulesToSave.Clear();
        }

        base.Dispose(disposing);
    }

    private void RequireAdapter(string adapterName)
    {
        if (!_configs.ContainsKey(adapterName))
        {
            throw new ArgumentException(
                $"No adapter named '{adapterName}'; adapters: [{string.Join(", ", _adapterOrder)}].", nameof(adapterName));
        }
    }

    private static void ValidateAdapterName(string adapterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(adapterName);
        if (adapterName.Contains('.', StringComparison.Ordinal) || adapterName.Contains('/', StringComparison.Ordinal) ||
            adapterName.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Adapter name '{adapterName}' must not contain '.', '/' or '\\'.", nameof(adapterName));
        }
    }

    private static string NoMatchMessage(ModuleSelector targets, IEnumerable<string> moduleNames)
    {
        var sample = moduleNames.Where(n => n.Length > 0).Take(12).ToList();
        return $"Target modules {targets} not found in the base model: no module name matches. " +
               "A name matches a module whose dotted name equals it or ends with '.' + name; a regular expression must match the whole name. " +
               $"Module names look like: [{string.Join(", ", sample)}{(sample.Count == 12 ? ", ..." : "")}].";
    }

    private sealed record InjectedLayer(string Key, TunerLayer Layer, ModuleReplacer.Replacement Replacement);
}
