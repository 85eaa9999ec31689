using TorchSharp;
using TorchSharp.Modules;


namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// One parameter per adapter name, registered under that name (PyTorch's <c>nn.ParameterDict</c> as PEFT uses it for
/// <c>lora_embedding_A</c>), so the state-dict key reads <c>lora_embedding_A.default</c>. Parameters are always looked up
/// through the registry because moving a module to another device or dtype replaces its parameter objects.
/// </summary>
internal sealed class AdapterParameters : torch.nn.Module
{
    private readonly List<string> _names = [];

    public AdapterParameters()
        : base("AdapterParameters")
    {
    }

    public IReadOnlyList<string> Names => _names;

    public Parameter this[string adapterName] => Contains(adapterName)
        ? this.Parameter(adapterName)
        : throw new KeyNotFoundException($"No adapter '{adapterName}' here; adapters: [{string.Join(", ", _names)}].");

    public bool Contains(string adapterName) => _names.Contains(adapterName, StringComparer.Ordinal);

    public void Add(string adapterName, Parameter parameter)
    {
        register_parameter(adapterName, parameter);
        _names.Add(adapterName);
    }

    public void Remove(string adapterName)
    {
        if (_names.Remove(adapterName))
        {
            Parameter parameter = this.Parameter(adapterName);
            ConditionallyRegisterParameter(adapterName, (Parameter?)null);
            parameter.Dispose();
        }
    }
}
