using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>Parameter lookup by name that fails clearly instead of returning <c>null</c>.</summary>
internal static class ModuleParameters
{
    public static Parameter Parameter(this torch.nn.Module module, string name) =>
        module.get_parameter(name) ?? throw new KeyNotFoundException($"{module.GetName()} ({module.GetType().Name}) has no parameter '{name}'.");
}
