using Microsoft.ML.Peft.Checkpoints;

namespace Microsoft.ML.Peft.Hub;

/// <summary>Which files make a model, and whether a cached snapshot holds them.</summary>
internal static class ModelSnapshotFiles
{
    public const string ConfigFileName = "config.json";

    public static ModelSnapshotState Inspect(HubCache cache, string repoId, string commitHash, IReadOnlyList<string> optionalFileNames)
    {
        string folder = cache.GetSnapshotFolder(repoId, commitHash);
        if (!SnapshotPointer.Exists(Path.Combine(folder, ConfigFileName)) || !HasWeights(folder))
        {
            return ModelSnapshotState.Unusable;
        }

        bool complete = optionalFileNames.All(name => SnapshotPointer.Exists(Path.Combine(folder, name)) || cache.IsKnownMissing(repoId, commitHash, name));
        return complete ? ModelSnapshotState.Complete : ModelSnapshotState.Usable;
    }

    /// <summary>The distinct shard files a <c>model.safetensors.index.json</c> names, in index order.</summary>
    public static IReadOnlyList<string> ShardFileNames(string indexPath) =>
        SafeTensorsIndex.Read(indexPath).WeightMap.Select(entry => entry.Value).Distinct(StringComparer.Ordinal).ToArray();

    private static bool HasWeights(string folder)
    {
        if (SnapshotPointer.Exists(Path.Combine(folder, CheckpointFiles.SingleFileName)))
        {
            return true;
        }

        string index = Path.Combine(folder, CheckpointFiles.ShardIndexFileName);
        if (!SnapshotPointer.Exists(index))
        {
            return false;
        }

        try
        {
            return ShardFileNames(index).All(shard => SnapshotPointer.Exists(Path.Combine(folder, shard)));
        }
        catch (SafeTensorsFormatException)
        {
            return false;
        }
    }
}
