using System.Collections;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// Puts a <see cref="TunerLayer"/> in place of a module of the model, as PyTorch's <c>setattr(parent, name, new)</c>
/// does in Hugging Face PEFT. In TorchSharp a parent calls its children through C# fields, so besides the registry
/// (which gives the state-dict names) the forward path must change too:
/// <list type="bullet">
/// <item>items of <see cref="Sequential"/> and of a <c>ModuleList&lt;T&gt;</c> that can hold the layer are swapped;</item>
/// <item>fields that can hold the layer (typed <c>nn.Module&lt;Tensor, Tensor&gt;</c> or looser) are set to it;</item>
/// <item>a parent marked <see cref="ResolvesChildrenByNameAttribute"/> (no fields; children looked up by name at each
/// forward) only needs its registry entry replaced;</item>
/// <item>otherwise (a field of a sealed type such as <c>Linear</c>) the base layer stays in the field and forward hooks on
/// it apply the adapter, which works only if the parent invokes it with <c>call</c>; the parent must declare that
/// with <see cref="InvokesChildrenWithCallAttribute"/>, else this fails with a message naming the field.</item>
/// </list>
/// </summary>
internal static class ModuleReplacer
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>Checks that the module at <paramref name="key"/> can be replaced and says how; does not change anything.</summary>
    /// <exception cref="InvalidOperationException">The module cannot be reached by an adapter; the message says what to change.</exception>
    public static Plan PlanFor(nn.Module root, string key)
    {
        var (ancestors, childName) = ModuleTree.Ancestors(root, key);
        nn.Module parent = ancestors[^1];
        nn.Module target = ModuleTree.Child(parent, childName) ??
                           throw new KeyNotFoundException($"{root.GetName()} has no module '{key}'.");
        if (target is not nn.Module<Tensor, Tensor>)
        {
            throw new InvalidOperationException(
                $"Module '{key}' ({target.GetType().Name}) does not take a single tensor, so no adapter layer can wrap it.");
        }

        if (parent is Sequential sequential)
        {
            int index = sequential.named_children().Select(c => c.name).ToList().IndexOf(childName);
            return new Plan(key, parent, childName, target, Route.SequentialItem, index, [], null);
        }

        if (TorchSharpInternals.ModuleListItems(parent) is { } list)
        {
            int index = list.Items.IndexOf(target);
            if (index >= 0 && list.ElementType.IsAssignableFrom(typeof(TunerLayer)))
            {
                return new Plan(key, parent, childName, target, Route.ModuleListItem, index, [], null);
            }

            return HookPlan(key, ancestors, childName, target,
                $"{parent.GetType().Name} item {childName} (elements typed {list.ElementType.Name})");
        }

        var fields = FieldsReferencing(parent, target);
        if (fields.Count == 0 && parent.GetType().IsDefined(typeof(ResolvesChildrenByNameAttribute), inherit: true))
        {
            return new Plan(key, parent, childName, target, Route.Registry, -1, [], null);
        }

        if (fields.Count > 0 && fields.All(f => f.FieldType.IsAssignableFrom(typeof(TunerLayer))))
        {
            return new Plan(key, parent, childName, target, Route.Fields, -1, fields, null);
        }

        FieldInfo? blocking = fields.FirstOrDefault(f => !f.FieldType.IsAssignableFrom(typeof(TunerLayer)));
        string holder = blocking is null
            ? $"{parent.GetType().Name} (no field holds it)"
            : $"field {parent.GetType().Name}.{blocking.Name} of type {blocking.FieldType.Name}";
        return HookPlan(key, ancestors, childName, target, holder);
    }

    private static Plan HookPlan(string key, IReadOnlyList<nn.Module> ancestors, string childName, nn.Module target, string holder)
    {
        // The module whose code invokes the child: the parent, or above built-in containers the module holding them.
        nn.Module owner = ancestors.Reverse().FirstOrDefault(m => !TorchSharpInternals.IsTorchSharpType(m.GetType())) ?? ancestors[^1];
        if (!owner.GetType().IsDefined(typeof(InvokesChildrenWithCallAttribute), inherit: true))
        {
            throw new InvalidOperationException(
                $"Cannot put an adapter on '{key}': it is held in {holder}, which cannot hold the adapter layer, and " +
                $"{owner.GetType().Name} is not marked [{nameof(InvokesChildrenWithCallAttribute).Replace("Attribute", "", StringComparison.Ordinal)}], " +
                $"so a forward hook would be skipped if it calls {childName}.forward(...). Either type that field as " +
                "nn.Module<Tensor, Tensor>, or invoke the child with call(...) and mark the class with that attribute.");
        }

        return new Plan(key, ancestors[^1], childName, target, Route.Hooks, -1, [], owner);
    }

    private static List<FieldInfo> FieldsReferencing(nn.Module parent, nn.Module target)
    {
        var fields = new List<FieldInfo>();
        for (Type? type = parent.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
        {
            foreach (FieldInfo field in type.GetFields(InstanceFields))
            {
                if (!field.IsStatic && ReferenceEquals(field.GetValue(parent), target))
                {
                    fields.Add(field);
                }
            }
        }

        return fields;
    }

    /// <summary>How the layer reaches the forward pass.</summary>
    internal enum Route
    {
        SequentialItem,
        ModuleListItem,
        Fields,
        Registry,
        Hooks,
    }

    /// <summary>A checked replacement, applied once the adapter layer exists.</summary>
    internal sealed class Plan(
        string key, nn.Module parent, string childName, nn.Module target, Route route, int index, IReadOnlyList<FieldInfo> fields, nn.Module? owner)
    {
        public string Key { get; } = key;

        public nn.Module Target { get; } = target;

        public Route Route { get; } = route;

        /// <summary>Puts <paramref name="layer"/> (whose base layer is <see cref="Target"/>) in place; the result undoes it.</summary>
        public Replacement Apply(TunerLayer layer)
        {
            if (!ReferenceEquals(layer.BaseLayer, Target))
            {
                throw new ArgumentException($"The adapter layer for '{Key}' does not wrap that module.", nameof(layer));
            }

            var replacement = new Replacement(this, parent, childName, index, fields, layer);
            replacement.Install();
            return replacement;
        }

        internal nn.Module? Owner { get; } = owner;
    }

    /// <summary>An applied replacement; <see cref="Restore"/> puts the original module back.</summary>
    internal sealed class Replacement
    {
        private readonly Plan _plan;
        private readonly nn.Module _parent;
        private readonly string _childName;
        private readonly int _index;
        private readonly IReadOnlyList<FieldInfo> _fields;
        private readonly TunerLayer _layer;
        private nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover? _postHook;
        private nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover? _preHook;

        internal Replacement(Plan plan, nn.Module parent, string childName, int index, IReadOnlyList<FieldInfo> fields, TunerLayer layer)
        {
            _plan = plan;
            _parent = parent;
            _childName = childName;
            _index = index;
            _fields = fields;
            _layer = layer;
        }

        public Route Route => _plan.Route;

        internal void Install() => Swap(_layer);

        public void Restore() => Swap(_plan.Target);

        private void Swap(nn.Module module)
        {
            bool installing = ReferenceEquals(module, _layer);
            switch (_plan.Route)
            {
                case Route.SequentialItem:
                    TorchSharpInternals.SequentialItems((Sequential)_parent)[_index] = module;
                    break;
                case Route.ModuleListItem:
                    TorchSharpInternals.ModuleListItems(_parent)!.Value.Items[_index] = module;
                    ReplaceInRegistryIfPresent(module);
                    break;
                case Route.Fields:
                    foreach (FieldInfo field in _fields)
                    {
                        field.SetValue(_parent, module);
                    }

                    TorchSharpInternals.ReplaceRegisteredChild(_parent, _childName, module);
                    break;
                case Route.Registry:
                    TorchSharpInternals.ReplaceRegisteredChild(_parent, _childName, module);
                    break;
                case Route.Hooks:
                    TorchSharpInternals.ReplaceRegisteredChild(_parent, _childName, module);
                    var baseLayer = (nn.Module<Tensor, Tensor>)_plan.Target;
                    if (installing)
                    {
                        _postHook = baseLayer.register_forward_hook((_, input, output) => _layer.OnBaseForward(input, output)!);
                        if (_layer.NeedsInputHook)
                        {
                            _preHook = baseLayer.register_forward_pre_hook((_, input) => _layer.OnBaseForwardPre(input)!);
                        }
                    }
                    else
                    {
                        _postHook?.remove();
                        _preHook?.remove();
                        _postHook = _preHook = null;
                    }

                    break;
            }
        }

        private void ReplaceInRegistryIfPresent(nn.Module module)
        {
            if (TorchSharpInternals.IsRegisteredChild(_parent, _childName))
            {
                TorchSharpInternals.ReplaceRegisteredChild(_parent, _childName, module);
            }
        }
    }
}
