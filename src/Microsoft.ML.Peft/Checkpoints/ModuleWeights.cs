using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>Copies checkpoint tensors into a module's parameters and buffers, by state-dict key.</summary>
public static class ModuleWeights
{
    /// <summary>
    /// Loads every tensor of <paramref name="source"/> into the matching entry of <paramref name="module"/>'s state dict,
    /// converting each to the dtype of the module entry it replaces (so F16/BF16 checkpoints load into fp32 modules and
    /// the other way round). Shapes must match exactly; when any key does not fit, nothing is copied.
    /// </summary>
    /// <exception cref="WeightLoadException">A shape differs, or (when <see cref="WeightLoadOptions.Strict"/>) keys are missing or unexpected.</exception>
    public static WeightLoadResult Load(nn.Module module, ITensorSource source, WeightLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new WeightLoadOptions();

        Dictionary<string, Tensor> state = module.state_dict();
        var loaded = new List<string>();
        var unexpected = new List<string>();
        var sourceKeyOf = new Dictionary<string, string>(StringComparer.Ordinal);

        // First match keys and check every shape, so a checkpoint that does not fit leaves the module untouched.
        var plan = new List<(string SourceKey, string Key, Tensor Target)>();
        foreach (string sourceKey in source.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            string? key = options.MapKey is null ? sourceKey : options.MapKey(sourceKey);
            if (key is null)
            {
                continue;
            }

            if (!state.TryGetValue(key, out Tensor? target))
            {
                unexpected.Add(key);
                continue;
            }

            if (sourceKeyOf.TryGetValue(key, out string? previous))
            {
                throw new WeightLoadException(
                    $"{source.Description}: tensors '{previous}' and '{sourceKey}' both map to module key '{key}'.");
            }

            sourceKeyOf[key] = sourceKey;
            long[] shape = source.GetShape(sourceKey);
            if (!shape.SequenceEqual(target.shape))
            {
                throw new WeightLoadException(
                    $"{source.Description}: tensor '{sourceKey}' has shape [{string.Join(", ", shape)}] but module key '{key}' " +
                    $"expects [{string.Join(", ", target.shape)}].");
            }

            plan.Add((sourceKey, key, target));
        }

        var missing = state.Keys
            .Where(k => !sourceKeyOf.ContainsKey(k) && !(options.MayBeMissing?.Invoke(k) ?? false))
            .OrderBy(k => k, StringComparer.Ordinal)
            .ToList();

        if (options.Strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            throw new WeightLoadException(
                $"{source.Description} does not fit {module.GetName()}: " +
                $"missing keys [{string.Join(", ", missing)}]; unexpected keys [{string.Join(", ", unexpected)}].");
        }

        foreach ((string sourceKey, string key, Tensor target) in plan)
        {
            using (no_grad())
            using (Tensor value = source.Read(sourceKey, target.dtype))
            {
                target.copy_(value);
            }

            loaded.Add(key);
        }

        return new WeightLoadResult(loaded, missing, unexpected);
    }
}
