using Microsoft.ML.Peft.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Loads a Hugging Face checkpoint into a BERT-style model the way transformers' <c>from_pretrained</c> matches keys:
/// legacy <c>LayerNorm.gamma/beta</c> names, the position-id buffers older checkpoints carry, and the
/// <c>base_model_prefix</c> (<c>bert.</c>, <c>roberta.</c>) added or stripped when a bare encoder checkpoint meets a model
/// with a head or the other way round. Extra checkpoint tensors (pretraining heads, a pooler the model lacks) are
/// reported, not fatal; missing weights are fatal unless they belong to a part transformers would initialise afresh.
/// </summary>
internal static class PretrainedWeightLoader
{
    /// <param name="model">The model to fill.</param>
    /// <param name="source">The checkpoint.</param>
    /// <param name="basePrefix">The base model's prefix in checkpoints of models with a head (<c>bert</c>, <c>roberta</c>).</param>
    /// <param name="modelIsBase">True when <paramref name="model"/> is the bare encoder (its keys have no prefix).</param>
    /// <param name="mayBeFreshlyInitialized">Module keys that may be absent from the checkpoint (heads, pooler): they keep their initial values and are reported as missing.</param>
    public static WeightLoadResult Load(
        nn.Module model,
        ITensorSource source,
        string basePrefix,
        bool modelIsBase,
        Func<string, bool> mayBeFreshlyInitialized)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);

        string prefix = basePrefix + ".";
        var moduleKeys = new HashSet<string>(model.state_dict().Keys, StringComparer.Ordinal);
        bool checkpointHasPrefix = source.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));

        string? MapKey(string checkpointKey)
        {
            string key = RenameLegacyLayerNorm(checkpointKey);
            if (IsPositionBuffer(key))
            {
                return null;
            }

            if (modelIsBase)
            {
                // A checkpoint of a model with a head loads into the bare encoder: its encoder keys lose the prefix and
                // its head keys stay as they are (and are reported as unexpected).
                return checkpointHasPrefix && key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
            }

            // A bare encoder checkpoint loads into a model with a head: encoder keys gain the prefix.
            return !checkpointHasPrefix && moduleKeys.Contains(prefix + key) ? prefix + key : key;
        }

        WeightLoadResult result = ModuleWeights.Load(model, source, new WeightLoadOptions { MapKey = MapKey, Strict = false });

        var fatal = result.MissingKeys.Where(k => !mayBeFreshlyInitialized(k)).ToList();
        if (fatal.Count > 0)
        {
            string sample = string.Join(", ", source.Keys.OrderBy(k => k, StringComparer.Ordinal).Take(5));
            throw new WeightLoadException(
                $"{source.Description} does not hold the weights {model.GetName()} needs: {fatal.Count} missing " +
                $"[{string.Join(", ", fatal.Take(20))}{(fatal.Count > 20 ? ", ..." : string.Empty)}]. " +
                $"The checkpoint's first keys are [{sample}]; is it a checkpoint of this architecture?");
        }

        return result;
    }

    /// <summary>
    /// Builds a model with <paramref name="create"/> and runs <paramref name="load"/> on it; a model that fails to load
    /// is disposed before the exception propagates, so its native tensors do not wait for the garbage collector.
    /// </summary>
    public static TModel CreateAndLoad<TModel>(Func<TModel> create, Action<TModel> load)
        where TModel : nn.Module
    {
        TModel model = create();
        try
        {
            load(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// Fails early, with the fix in the message, when the checkpoint's classification head has a different number of
    /// labels than the configuration (the usual cause: a fine-tuned checkpoint loaded with another task's label count).
    /// </summary>
    public static void CheckHeadLabels(ITensorSource source, string headWeightKey, int numLabels)
    {
        if (!source.Contains(headWeightKey))
        {
            return;
        }

        long[] shape = source.GetShape(headWeightKey);
        if (shape.Length == 2 && shape[0] != numLabels)
        {
            throw new WeightLoadException(
                $"{source.Description}: the classification head '{headWeightKey}' has {shape[0]} labels " +
                $"(shape [{string.Join(", ", shape)}]), but the configuration has num_labels {numLabels}. Set NumLabels " +
                $"(or id2label) to {shape[0]} to reuse the head, or load the encoder alone to train a new head.");
        }
    }

    private static bool IsPositionBuffer(string key) =>
        key.EndsWith("embeddings.position_ids", StringComparison.Ordinal) ||
        key.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal);

    // TensorFlow-era checkpoints name LayerNorm parameters gamma/beta.
    private static string RenameLegacyLayerNorm(string key)
    {
        if (key.EndsWith(".gamma", StringComparison.Ordinal))
        {
            return key[..^"gamma".Length] + "weight";
        }

        if (key.EndsWith(".beta", StringComparison.Ordinal))
        {
            return key[..^"beta".Length] + "bias";
        }

        return key;
    }
}
