using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft;

/// <summary>
/// A model with parameter-efficient adapters, as Hugging Face PEFT's <c>PeftModel</c>. <see cref="Create{TModel}"/>
/// (PEFT's <c>get_peft_model</c>) wraps the targeted submodules of the model in place with adapter layers that hold the
/// original as <c>base_layer</c>, freezes everything else, and registers the model as <c>base_model.model</c>, so the
/// state-dict keys of this module are PEFT's (<c>base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.default.weight</c>).
/// </summary>
/// <remarks>
/// The forward pass is the model's own: keep calling the model (or <see cref="PeftModel{TModel}.Model"/>) as before.
/// Pass <see cref="TrainableParameters"/> to the optimizer. This module owns the model: disposing it disposes the model,
/// unless <see cref="MergeAndUnload"/> or <see cref="Unload"/> handed the model back first.
/// </remarks>
public class PeftModel : nn.Module
{
    // Registered as "base_model" (the field name is the state-dict name).
    private readonly TunerModel base_model;

    private protected PeftModel(TunerModel tuner)
        : base(nameof(PeftModel))
    {
        base_model = tuner;
        bool training = tuner.training;
        register_module("base_model", tuner);
        train(training); // registering a child gives it the new parent's (training) mode; keep the model's own
    }

    /// <summary>The tuner that holds the adapters (PEFT's <c>base_model</c>, for LoRA a <see cref="LoraModel"/>).</summary>
    public TunerModel BaseModel => base_model;

    /// <summary>The adapted model.</summary>
    public nn.Module Model => base_model.Model;

    /// <summary>The configuration of every adapter by name (PEFT's <c>peft_config</c>).</summary>
    public IReadOnlyDictionary<string, TunerConfig> PeftConfigs => base_model.PeftConfigs;

    /// <summary>The configuration of the active adapter.</summary>
    /// <exception cref="InvalidOperationException">No adapter is active.</exception>
    public TunerConfig ActivePeftConfig => ActiveAdapter is { } active
        ? base_model.PeftConfigs[active]
        : throw new InvalidOperationException("No adapter is active.");

    /// <summary>The adapter the forward pass uses and the optimizer trains (PEFT's <c>active_adapter</c>).</summary>
    public string? ActiveAdapter => base_model.ActiveAdapter;

    /// <summary>
    /// Adds adapters to <paramref name="model"/> in place (PEFT's <c>get_peft_model</c>): replaces every target module
    /// with an adapter layer around it, gives the modules to save their own trainable copy, and freezes all other
    /// parameters. The adapter is active and trainable.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid or selects no module (the message lists module names).</exception>
    /// <exception cref="InvalidOperationException">A target module cannot be reached by an adapter (the message says which field to change).</exception>
    public static PeftModel<TModel> Create<TModel>(TModel model, PeftConfig config, string adapterName = AdapterDirectory.DefaultAdapterName)
        where TModel : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        return new PeftModel<TModel>(CreateTuner(model, config, adapterName, initialize: true));
    }

    /// <summary>
    /// Loads an adapter saved in Hugging Face PEFT's format (<c>adapter_config.json</c> and <c>adapter_model.safetensors</c>
    /// in <paramref name="directory"/>, or in its subfolder <paramref name="adapterName"/>) onto <paramref name="model"/>
    /// (PEFT's <c>PeftModel.from_pretrained</c>). Frozen and in eval mode unless <paramref name="isTrainable"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no adapter.</exception>
    /// <exception cref="InvalidDataException">The configuration is unreadable or of an unknown <c>peft_type</c>.</exception>
    /// <exception cref="ArgumentException">A target module of the configuration is missing from the model.</exception>
    /// <exception cref="WeightLoadException">The weights do not fit (the message names the key and both shapes).</exception>
    public static PeftModel<TModel> FromPretrained<TModel>(
        TModel model, string directory, string adapterName = AdapterDirectory.DefaultAdapterName, bool isTrainable = false)
        where TModel : nn.Module =>
        FromPretrained(model, directory, adapterName, isTrainable, AdapterWeightsFile.Default);

    internal static PeftModel<TModel> FromPretrained<TModel>(TModel model, string directory, string adapterName, bool isTrainable, IAdapterWeightsStore store)
        where TModel : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (config, folder) = ReadConfig(directory, adapterName, isTrainable);
        TunerModel tuner = CreateTuner(model, config, adapterName, initialize: false);
        try
        {
            LoadWeights(tuner, adapterName, folder, store);
        }
        catch
        {
            tuner.Unload(merge: false);
            tuner.Dispose();
            throw;
        }

        var loaded = new PeftModel<TModel>(tuner);
        if (!isTrainable)
        {
            // As PEFT's load_adapter: an adapter loaded for inference comes in eval mode, so dropout is off and BatchNorm
            // uses (and keeps) its running statistics.
            loaded.eval();
        }

        return loaded;
    }

    /// <summary>Adds another adapter (PEFT's <c>add_adapter</c>); it is frozen and inactive until <see cref="SetAdapter"/>.</summary>
    /// <exception cref="ArgumentException">The name is taken, the configuration is of another method, or it selects no module.</exception>
    public void AddAdapter(string adapterName, PeftConfig config) => base_model.InjectAdapter(adapterName, config, initialize: true);

    /// <summary>
    /// Loads a saved adapter as another adapter of this model (PEFT's <c>load_adapter</c>); it is not made active. Unless
    /// <paramref name="isTrainable"/>, the whole model is put in eval mode, as PEFT does.
    /// </summary>
    public void LoadAdapter(string directory, string adapterName, bool isTrainable = false) =>
        LoadAdapter(directory, adapterName, isTrainable, AdapterWeightsFile.Default);

    internal void LoadAdapter(string directory, string adapterName, bool isTrainable, IAdapterWeightsStore store)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (config, folder) = ReadConfig(directory, adapterName, isTrainable);
        base_model.InjectAdapter(adapterName, config, initialize: false);
        try
        {
            LoadWeights(base_model, adapterName, folder, store);
        }
        catch
        {
            base_model.DeleteAdapter(adapterName);
            throw;
        }

        if (!isTrainable)
        {
            eval(); // as PEFT's load_adapter with is_trainable=False
        }
    }

    /// <summary>Makes an adapter the active one (PEFT's <c>set_adapter</c>); it becomes trainable unless in inference mode.</summary>
    public void SetAdapter(string adapterName) => base_model.SetAdapter(adapterName);

    /// <summary>Deletes an adapter (PEFT's <c>delete_adapter</c>).</summary>
    public void DeleteAdapter(string adapterName) => base_model.DeleteAdapter(adapterName);

    /// <summary>
    /// Adds a LoRA adapter that combines existing ones with weights (PEFT's <c>add_weighted_adapter</c>); see
    /// <see cref="LoraModel.AddWeightedAdapter"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The adapters are not LoRA adapters.</exception>
    public void AddWeightedAdapter(IReadOnlyList<string> adapters, IReadOnlyList<double> weights, string adapterName, AdapterCombination combination = AdapterCombination.Linear)
    {
        if (base_model is not LoraModel lora)
        {
            throw new NotSupportedException("Weighted combination is defined for LoRA adapters only.");
        }

        lora.AddWeightedAdapter(adapters, weights, adapterName, combination);
    }

    /// <summary>
    /// Switches the adapters off until the returned scope is disposed (PEFT's <c>with model.disable_adapter():</c>):
    /// the model then computes exactly what the base model computes, head included (with <c>bias</c> other than none, the
    /// trained biases stay).
    /// </summary>
    /// <example><code>
    /// using (peft.DisableAdapter())
    /// {
    ///     baseLogits = model.forward(x);
    /// }
    /// </code></example>
    public IDisposable DisableAdapter()
    {
        base_model.DisableAdapters();
        return new EnableOnDispose(base_model);
    }

    /// <summary>Merges the active adapter into the base weights (PEFT's <c>merge_adapter</c>): same outputs, no adapter cost.</summary>
    /// <exception cref="InvalidOperationException">Inside a <see cref="DisableAdapter"/> scope, whose outputs must stay the base model's.</exception>
    public void Merge() => base_model.Merge();

    /// <summary>Takes merged adapters out of the base weights again (PEFT's <c>unmerge_adapter</c>).</summary>
    public void Unmerge() => base_model.Unmerge();

    /// <summary>
    /// Merges the active adapter into the base weights, removes every adapter layer, and returns the model with plain
    /// layers again (PEFT's <c>merge_and_unload</c>); the modules to save keep the active adapter's trained values.
    /// This PEFT model is empty afterwards; dispose it, the returned model lives on. Inside a <see cref="DisableAdapter"/>
    /// scope it still merges, as PEFT does, so the returned model is always the adapted one.
    /// </summary>
    public nn.Module MergeAndUnload() => base_model.Unload(merge: true);

    /// <summary>Removes every adapter layer without merging and returns the model (PEFT's <c>unload</c>).</summary>
    public nn.Module Unload() => base_model.Unload(merge: false);

    /// <summary>The parameters that require gradients: the active adapter's, its modules to save, and biases per its <c>bias</c> setting.</summary>
    public IEnumerable<Parameter> TrainableParameters() => base_model.TrainableParameters();

    /// <summary>Counts trainable and all parameter elements (PEFT's <c>get_nb_trainable_parameters</c>).</summary>
    public TrainableParameterReport GetTrainableParameterReport()
    {
        long trainable = 0;
        long all = 0;
        foreach (Parameter parameter in Model.parameters())
        {
            all += parameter.numel();
            if (parameter.requires_grad)
            {
                trainable += parameter.numel();
            }
        }

        return new TrainableParameterReport(trainable, all);
    }

    /// <summary>Writes PEFT's <c>print_trainable_parameters</c> line (to the console by default).</summary>
    public void PrintTrainableParameters(TextWriter? writer = null) => (writer ?? Console.Out).WriteLine(GetTrainableParameterReport());

    /// <summary>
    /// The tensors an adapter file holds, under PEFT's keys (PEFT's <c>get_peft_model_state_dict</c>): for LoRA
    /// <c>base_model.model.&lt;module&gt;.lora_A.weight</c>, <c>.lora_B.weight</c>, <c>.lora_embedding_A</c>,
    /// <c>.lora_magnitude_vector</c>, plus the modules to save (<c>base_model.model.classifier.weight</c>) and biases per
    /// <c>bias</c>. The tensors are the live ones; clone them to keep them.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> GetAdapterStateDict(string? adapterName = null) =>
        base_model.GetAdapterStateDict(adapterName ?? ActiveAdapter ?? throw new InvalidOperationException("No adapter is active."));

    /// <summary>
    /// Saves adapters in Hugging Face PEFT's format (PEFT's <c>save_pretrained</c>): <c>adapter_config.json</c> (sorted
    /// keys, <c>inference_mode</c> true) and <c>adapter_model.safetensors</c> in <paramref name="directory"/> for the
    /// adapter <c>default</c> and in a subfolder named after any other. Each file is written to a temporary name first
    /// and renamed when complete, so a failure leaves the previous files in place.
    /// </summary>
    /// <param name="directory">The folder (created if missing).</param>
    /// <param name="selectedAdapters">The adapters to save; all by default.</param>
    public void SavePretrained(string directory, IEnumerable<string>? selectedAdapters = null) =>
        SavePretrained(directory, selectedAdapters, AdapterWeightsFile.Default);

    internal void SavePretrained(string directory, IEnumerable<string>? selectedAdapters, IAdapterWeightsStore store)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var adapters = (selectedAdapters ?? base_model.AdapterNames).ToList();
        foreach (string adapterName in adapters)
        {
            if (!PeftConfigs.TryGetValue(adapterName, out TunerConfig? config))
            {
                throw new ArgumentException($"No adapter named '{adapterName}'; adapters: [{string.Join(", ", base_model.AdapterNames)}].", nameof(selectedAdapters));
            }

            string text = PeftConfigJson.Write(config with { InferenceMode = true });
            using var scope = NewDisposeScope();
            var tensors = base_model.GetAdapterStateDict(adapterName)
                .ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous(), StringComparer.Ordinal);
            AdapterDirectory.Write(AdapterDirectory.For(directory, adapterName), text, tensors, store);
        }
    }

    private static TunerModel CreateTuner(nn.Module model, PeftConfig config, string adapterName, bool initialize)
    {
        TunerModel tuner = config.CreateTunerModel(model);
        try
        {
            tuner.InjectAdapter(adapterName, config, initialize);
        }
        catch
        {
            tuner.Unload(merge: false);
            tuner.Dispose();
            throw;
        }

        return tuner;
    }

    private static (PeftConfig Config, string Folder) ReadConfig(string directory, string adapterName, bool isTrainable)
    {
        string folder = AdapterDirectory.Resolve(directory, adapterName);
        string path = Path.Combine(folder, AdapterDirectory.ConfigFileName);
        PeftConfig config = PeftConfigJson.Read(File.ReadAllText(path), path);
        return (config with { InferenceMode = !isTrainable }, folder);
    }

    private static void LoadWeights(TunerModel tuner, string adapterName, string folder, IAdapterWeightsStore store)
    {
        string path = Path.Combine(folder, AdapterDirectory.WeightsFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The adapter in '{folder}' has no {AdapterDirectory.WeightsFileName}.", path);
        }

        using ITensorSource source = store.Open(path);
        tuner.LoadAdapterStateDict(adapterName, source);
    }

    private sealed class EnableOnDispose(TunerModel tuner) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                tuner.EnableAdapters();
            }
        }
    }
}
