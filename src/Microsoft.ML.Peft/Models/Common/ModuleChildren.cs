using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Looks submodules up by their registered name at call time. The Hugging Face ports keep no module fields: forward
/// runs whatever is registered under a name, so a module swapped in by name (for example a LoRA wrapper replacing
/// <c>query</c> via <c>register_module</c>) takes effect without touching the parent.
/// </summary>
internal static class ModuleChildren
{
    public static T Child<T>(this nn.Module parent, string name)
        where T : nn.Module
    {
        foreach ((string childName, nn.Module child) in parent.named_children())
        {
            if (childName == name)
            {
                return child as T ?? throw new InvalidOperationException(
                    $"Submodule '{name}' of {parent.GetName()} is a {child.GetType().Name}, but a {typeof(T).Name} is needed.");
            }
        }

        throw new InvalidOperationException($"{parent.GetName()} has no submodule named '{name}'.");
    }

    /// <summary>Runs the registered single-input submodule <paramref name="name"/> on <paramref name="input"/>.</summary>
    public static Tensor Call(this nn.Module parent, string name, Tensor input) =>
        parent.Child<nn.Module<Tensor, Tensor>>(name).call(input);
}
