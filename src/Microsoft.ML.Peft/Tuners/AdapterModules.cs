using TorchSharp;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// One module per adapter name, registered under that name (PyTorch's <c>nn.ModuleDict</c> as PEFT uses it for
/// <c>lora_A</c>, <c>lora_B</c>, …), so the state-dict keys read <c>lora_A.default.weight</c>. TorchSharp's own
/// <c>ModuleDict</c> does not register items added after construction, hence this small container.
/// </summary>
internal sealed class AdapterModules<T> : torch.nn.Module
    where T : torch.nn.Module
{
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);

    public AdapterModules()
        : base("AdapterModules")
    {
    }

    public IReadOnlyCollection<string> Names => _items.Keys;

    public T this[string adapterName] => _items.TryGetValue(adapterName, out T? item)
        ? item
        : throw new KeyNotFoundException($"No adapter '{adapterName}' here; adapters: [{string.Join(", ", _items.Keys)}].");

    public bool Contains(string adapterName) => _items.ContainsKey(adapterName);

    public bool TryGet(string adapterName, out T item) => _items.TryGetValue(adapterName, out item!);

    public void Add(string adapterName, T module)
    {
        _items.Add(adapterName, module);
        register_module(adapterName, module);
    }

    /// <summary>Unregisters and disposes the adapter's module.</summary>
    public void Remove(string adapterName)
    {
        if (_items.Remove(adapterName, out T? module))
        {
            register_module(adapterName, null!);
            module.Dispose();
        }
    }
}
