using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// A module that wraps a base layer of the model and adds one or more named adapters to it, as Hugging Face PEFT's
/// <c>BaseTunerLayer</c>. The base layer is registered as <c>base_layer</c>, so its state-dict keys become
/// <c>…query.base_layer.weight</c> exactly as in PEFT. At most one adapter is active at a time.
/// </summary>
/// <remarks>
/// The layer takes part in the forward pass in one of two ways, chosen by <see cref="ModuleReplacer"/>: it replaces the
/// base layer in the parent (its <see cref="forward"/> runs), or the base layer stays in the parent and forward hooks on
/// it call <see cref="OnBaseForward"/>. Either way the computation is the same.
/// </remarks>
public abstract class TunerLayer : nn.Module<Tensor, Tensor>
{
    // Field names are the state-dict names (TorchSharp registers fields under their names).
    private nn.Module<Tensor, Tensor>? base_layer;
    private readonly List<string> _adapters = [];
    private readonly List<string> _mergedAdapters = [];

    /// <summary>Wraps <paramref name="baseLayer"/>, registering it as <c>base_layer</c>.</summary>
    protected TunerLayer(string name, nn.Module<Tensor, Tensor> baseLayer)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        base_layer = baseLayer;
        bool training = baseLayer.training;
        register_module("base_layer", baseLayer);
        train(training); // registering a child gives it the new parent's (training) mode; keep the wrapped layer's own
    }

    /// <summary>The wrapped layer of the model.</summary>
    public nn.Module<Tensor, Tensor> BaseLayer => base_layer ?? throw new ObjectDisposedException(GetName(), "The base layer was released.");

    /// <summary>The adapters this layer holds, in the order they were added.</summary>
    public IReadOnlyList<string> AdapterNames => _adapters;

    /// <summary>The adapter used in the forward pass, or <c>null</c> for none.</summary>
    public string? ActiveAdapter { get; private set; }

    /// <summary>Whether the adapters are switched off, so the layer computes exactly what its base layer computes.</summary>
    public bool AdaptersDisabled { get; private set; }

    /// <summary>The adapters whose weights are currently merged into the base layer.</summary>
    public IReadOnlyList<string> MergedAdapters => _mergedAdapters;

    /// <summary>Whether any adapter is merged into the base weights.</summary>
    public bool IsMerged => _mergedAdapters.Count > 0;

    /// <summary>Whether this kind of adapter can be merged into the base weights (false for non-linear ones such as bottleneck adapters).</summary>
    public virtual bool CanMerge => true;

    /// <summary>Whether this layer has an adapter of that name.</summary>
    public bool HasAdapter(string adapterName) => _adapters.Contains(adapterName, StringComparer.Ordinal);

    /// <summary>Makes <paramref name="adapterName"/> the active adapter (a name this layer lacks makes it pass through).</summary>
    public void SetAdapter(string? adapterName) => ActiveAdapter = adapterName;

    /// <summary>Switches the adapters on or off.</summary>
    public void EnableAdapters(bool enabled) => AdaptersDisabled = !enabled;

    /// <summary>Removes an adapter and its parameters; if it was active, another remaining adapter (or none) becomes active.</summary>
    /// <exception cref="InvalidOperationException">The adapter is merged; unmerge first.</exception>
    public void DeleteAdapter(string adapterName)
    {
        if (!HasAdapter(adapterName))
        {
            return;
        }

        if (_mergedAdapters.Contains(adapterName, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"Adapter '{adapterName}' is merged into {GetName()}; unmerge it before deleting it.");
        }

        RemoveAdapterWeights(adapterName);
        _adapters.Remove(adapterName);
        if (ActiveAdapter == adapterName)
        {
            ActiveAdapter = _adapters.Count > 0 ? _adapters[0] : null;
        }
    }

    /// <summary>Adds the adapter's update to the base weights, so the base layer alone computes the adapted output.</summary>
    /// <exception cref="NotSupportedException">This kind of adapter cannot be merged.</exception>
    public void Merge(string adapterName)
    {
        if (!HasAdapter(adapterName) || _mergedAdapters.Contains(adapterName, StringComparer.Ordinal))
        {
            return;
        }

        using (no_grad())
        {
            MergeAdapterWeights(adapterName);
        }

        _mergedAdapters.Add(adapterName);
    }

    /// <summary>Takes every merged adapter out of the base weights again, last merged first.</summary>
    public void Unmerge()
    {
        using var noGrad = no_grad();
        while (_mergedAdapters.Count > 0)
        {
            string adapterName = _mergedAdapters[^1];
            UnmergeAdapterWeights(adapterName);
            _mergedAdapters.RemoveAt(_mergedAdapters.Count - 1);
        }
    }

    /// <summary>The trainable tensors of one adapter (for freezing and for optimizers).</summary>
    public abstract IEnumerable<Parameter> AdapterParameters(string adapterName);

    /// <summary>Runs the base layer and adds the active adapter (used when this layer replaced the base layer in its parent).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = ShouldAdapt && TransformsInput ? TransformInput(input) : input;
        Tensor output = BaseLayer.call(x);
        return (ShouldAdapt ? TransformOutput(x, output) : output).MoveToOuterDisposeScope();
    }

    /// <summary>Records a new adapter name; derived layers call it after creating the adapter's weights.</summary>
    protected void RegisterAdapterName(string adapterName)
    {
        if (!HasAdapter(adapterName))
        {
            _adapters.Add(adapterName);
        }
    }

    /// <summary>Whether <see cref="TransformInput"/> changes the input (IA3 on feed-forward layers does); false by default.</summary>
    protected virtual bool TransformsInput => false;

    /// <summary>Changes the input of the base layer for the active adapter; identity by default.</summary>
    protected virtual Tensor TransformInput(Tensor input) => input;

    /// <summary>Combines the base layer's output with the active adapter; must return a new tensor.</summary>
    /// <param name="input">The input the base layer received.</param>
    /// <param name="output">What the base layer computed.</param>
    protected abstract Tensor TransformOutput(Tensor input, Tensor output);

    /// <summary>Deletes the weights of an adapter.</summary>
    protected abstract void RemoveAdapterWeights(string adapterName);

    /// <summary>Adds the adapter's update into the base weights (called without gradient tracking).</summary>
    protected abstract void MergeAdapterWeights(string adapterName);

    /// <summary>Removes the adapter's update from the base weights again (called without gradient tracking).</summary>
    protected abstract void UnmergeAdapterWeights(string adapterName);

    /// <summary>Whether the forward pass should involve the active adapter.</summary>
    protected bool ShouldAdapt =>
        !AdaptersDisabled && _mergedAdapters.Count == 0 && ActiveAdapter is { } active && HasAdapter(active);

    /// <summary>The forward post-hook used when the base layer stays in its parent.</summary>
    internal Tensor? OnBaseForward(Tensor input, Tensor output)
    {
        if (!ShouldAdapt)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        return TransformOutput(input, output).MoveToOuterDisposeScope();
    }

    /// <summary>The forward pre-hook used when the base layer stays in its parent.</summary>
    internal Tensor? OnBaseForwardPre(Tensor input)
    {
        if (!ShouldAdapt || !TransformsInput)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        return TransformInput(input).MoveToOuterDisposeScope();
    }

    /// <summary>Whether the pre-hook is needed at all.</summary>
    internal bool NeedsInputHook => TransformsInput;

    /// <summary>Unregisters the base layer and hands it back (so disposing this layer leaves the base layer alive).</summary>
    internal nn.Module<Tensor, Tensor> ReleaseBaseLayer()
    {
        nn.Module<Tensor, Tensor> baseLayer = BaseLayer;
        register_module("base_layer", null!);
        base_layer = null;
        return baseLayer;
    }
}
