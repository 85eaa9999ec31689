using TorchSharp;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>Navigation by dotted module names (<c>bert.encoder.layer.0.attention.self.query</c>), as PyTorch's <c>get_submodule</c>.</summary>
internal static class ModuleTree
{
    /// <summary>The module at <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No module has that name.</exception>
    public static torch.nn.Module Get(torch.nn.Module root, string key)
    {
        torch.nn.Module current = root;
        foreach (string segment in key.Split('.'))
        {
            current = Child(current, segment) ??
                      throw new KeyNotFoundException($"{root.GetName()} has no module '{key}' (no child '{segment}' in {current.GetName()}).");
        }

        return current;
    }

    /// <summary>The modules from the root down to the parent of <paramref name="key"/>, and the child's own name.</summary>
    public static (IReadOnlyList<torch.nn.Module> Ancestors, string ChildName) Ancestors(torch.nn.Module root, string key)
    {
        string[] segments = key.Split('.');
        var chain = new List<torch.nn.Module> { root };
        for (int i = 0; i < segments.Length - 1; i++)
        {
            chain.Add(Child(chain[^1], segments[i]) ??
                      throw new KeyNotFoundException($"{root.GetName()} has no module '{string.Join('.', segments[..(i + 1)])}'."));
        }

        return (chain, segments[^1]);
    }

    /// <summary>The direct child registered under <paramref name="name"/>, or <c>null</c>.</summary>
    public static torch.nn.Module? Child(torch.nn.Module parent, string name)
    {
        foreach (var (childName, child) in parent.named_children())
        {
            if (childName == name)
            {
                return child;
            }
        }

        return null;
    }
}
