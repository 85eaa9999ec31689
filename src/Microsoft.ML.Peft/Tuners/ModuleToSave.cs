using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// A module trained fully for each adapter and saved with it (<c>modules_to_save</c>, typically the task head), with
/// the semantics of Hugging Face PEFT's <c>ModulesToSaveWrapper</c>: every adapter has its own copy, the original stays
/// untouched, and disabling the adapters brings the original back.
/// </summary>
/// <remarks>
/// PEFT deep-copies the module per adapter and swaps the copies into the forward path. TorchSharp cannot copy an
/// arbitrary module, and the model may call the module through a field of its concrete type, so here the module itself
/// stays in place and the values are swapped instead: the active adapter's values live in the module (and are what an
/// optimizer trains), the other adapters' values and the original are kept as CPU copies. Hence the in-memory key is
/// the module's own (<c>classifier.weight</c>) where PEFT has <c>classifier.modules_to_save.default.weight</c>; the
/// saved key, <c>base_model.model.classifier.weight</c>, is the same in both.
/// </remarks>
internal sealed class ModuleToSave : IDisposable
{
    private readonly Dictionary<string, Dictionary<string, Tensor>> _copies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _original;

    public ModuleToSave(string key, nn.Module module)
    {
        Key = key;
        Module = module;
        _original = Snapshot();
    }

    /// <summary>The dotted name of the module in the model.</summary>
    public string Key { get; }

    public nn.Module Module { get; }

    /// <summary>Whose values the module holds now: an adapter name, or <c>null</c> for the original values.</summary>
    public string? LiveAdapter { get; private set; }

    public bool HasAdapter(string adapterName) => _copies.ContainsKey(adapterName);

    /// <summary>Gives the adapter its own copy of the original values.</summary>
    public void AddAdapter(string adapterName)
    {
        if (!_copies.ContainsKey(adapterName))
        {
            _copies[adapterName] = Clone(_original);
        }
    }

    /// <summary>Gives <paramref name="adapterName"/> a copy of another adapter's current values.</summary>
    public void CopyAdapter(string sourceAdapter, string adapterName)
    {
        Dictionary<string, Tensor> copy = LiveAdapter == sourceAdapter ? Snapshot() : Clone(_copies[sourceAdapter]);
        if (_copies.Remove(adapterName, out var previous))
        {
            DisposeAll(previous);
        }

        _copies[adapterName] = copy;
        if (LiveAdapter == adapterName)
        {
            CopyIntoLive(copy);
        }
    }

    public void RemoveAdapter(string adapterName)
    {
        if (LiveAdapter == adapterName)
        {
            Activate(null);
        }

        if (_copies.Remove(adapterName, out var copy))
        {
            DisposeAll(copy);
        }
    }

    /// <summary>Loads the values of <paramref name="adapterName"/> (or the original for <c>null</c> or an adapter without a copy) into the module.</summary>
    public void Activate(string? adapterName)
    {
        string? target = adapterName is not null && _copies.ContainsKey(adapterName) ? adapterName : null;
        if (target == LiveAdapter)
        {
            return;
        }

        if (LiveAdapter is not null)
        {
            Dictionary<string, Tensor> trained = _copies[LiveAdapter];
            CopyLiveInto(trained);
        }

        CopyIntoLive(target is null ? _original : _copies[target]);
        LiveAdapter = target;
    }

    /// <summary>The adapter's tensors by module-relative key (<c>weight</c>, <c>bias</c>, buffers), live or copied.</summary>
    public IReadOnlyDictionary<string, Tensor> StateOf(string adapterName) =>
        LiveAdapter == adapterName ? Module.state_dict() : _copies[adapterName];

    /// <summary>Copies a loaded tensor into the adapter's values.</summary>
    /// <returns>Whether the module has that key.</returns>
    public bool TryGetTarget(string adapterName, string relativeKey, out Tensor target)
    {
        IReadOnlyDictionary<string, Tensor> state = StateOf(adapterName);
        return state.TryGetValue(relativeKey, out target!);
    }

    /// <summary>The parameters an optimizer trains for the live adapter.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> Parameters() => Module.parameters();

    public void Dispose()
    {
        foreach (var copy in _copies.Values)
        {
            DisposeAll(copy);
        }

        _copies.Clear();
        DisposeAll(_original);
    }

    private Dictionary<string, Tensor> Snapshot()
    {
        using var noGrad = no_grad();
        // The copies live as long as this object, not as long as the caller's dispose scope.
        return Module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private static Dictionary<string, Tensor> Clone(Dictionary<string, Tensor> values)
    {
        using var noGrad = no_grad();
        return values.ToDictionary(p => p.Key, p => p.Value.clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private void CopyLiveInto(Dictionary<string, Tensor> values)
    {
        using var noGrad = no_grad();
        foreach (var (key, live) in Module.state_dict())
        {
            values[key].copy_(live);
        }
    }

    private void CopyIntoLive(Dictionary<string, Tensor> values)
    {
        using var noGrad = no_grad();
        foreach (var (key, live) in Module.state_dict())
        {
            live.copy_(values[key]);
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor> values)
    {
        foreach (Tensor tensor in values.Values)
        {
            tensor.Dispose();
        }
    }
}
