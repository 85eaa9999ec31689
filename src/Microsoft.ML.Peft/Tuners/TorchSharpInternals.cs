using System.Collections;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// The few non-public members of TorchSharp 0.107 that module replacement needs: the registry of a module's children
/// (replaced in place, so the state-dict order stays) and the item lists of the built-in containers. Every access goes
/// through here and fails with one clear message if a TorchSharp update renames them.
/// </summary>
internal static class TorchSharpInternals
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    private static readonly FieldInfo SubmodulesField = Find(typeof(torch.nn.Module), "_internal_submodules");
    private static readonly FieldInfo SequentialModulesField = Find(typeof(Sequential), "_modules");

    /// <summary>Replaces the child registered under <paramref name="name"/> without changing its position.</summary>
    public static void ReplaceRegisteredChild(torch.nn.Module parent, string name, torch.nn.Module child)
    {
        var registry = (OrderedDict<string, torch.nn.Module>)SubmodulesField.GetValue(parent)!;
        if (!registry.ContainsKey(name))
        {
            throw new InvalidOperationException($"{parent.GetName()} has no registered child '{name}'.");
        }

        registry[name] = child;
    }

    /// <summary>Whether <paramref name="parent"/> keeps <paramref name="name"/> in its own registry (Sequential does not).</summary>
    public static bool IsRegisteredChild(torch.nn.Module parent, string name) =>
        ((OrderedDict<string, torch.nn.Module>)SubmodulesField.GetValue(parent)!).ContainsKey(name);

    /// <summary>The list a <see cref="Sequential"/> runs its items from.</summary>
    public static IList SequentialItems(Sequential sequential) => (IList)SequentialModulesField.GetValue(sequential)!;

    /// <summary>The item list of a <c>ModuleList&lt;T&gt;</c> and its element type, or <c>null</c> for other modules.</summary>
    public static (IList Items, Type ElementType)? ModuleListItems(torch.nn.Module module)
    {
        Type type = module.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(ModuleList<>))
        {
            return null;
        }

        return ((IList)Find(type, "_list").GetValue(module)!, type.GetGenericArguments()[0]);
    }

    /// <summary>Whether the module type is one of TorchSharp's own (containers included).</summary>
    public static bool IsTorchSharpType(Type type) => type.Assembly == typeof(torch.nn.Module).Assembly;

    private static FieldInfo Find(Type type, string name)
    {
        for (Type? current = type; current is not null; current = current.BaseType)
        {
            FieldInfo? field = current.GetField(name, Instance | BindingFlags.DeclaredOnly);
            if (field is not null)
            {
                return field;
            }
        }

        throw new InvalidOperationException(
            $"TorchSharp's {type.Name} has no field '{name}'; module replacement was written for TorchSharp 0.107 and needs updating.");
    }
}
