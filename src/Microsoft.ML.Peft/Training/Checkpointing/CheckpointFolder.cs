using System.Globalization;

namespace Microsoft.ML.Peft.Training.Checkpointing;

/// <summary>
/// The layout of a checkpoint root: one folder <c>checkpoint-{step:D8}</c> per checkpoint. A checkpoint is written into
/// a hidden temporary folder and renamed into place only when complete, so a folder with the checkpoint name is always
/// whole; a run killed mid-write leaves only a temporary folder, which the next run deletes. Old checkpoints are
/// renamed to a hidden name before they are deleted, so a deletion cut short never looks like a checkpoint either.
/// </summary>
internal static class CheckpointFolder
{
    public const string Prefix = "checkpoint-";
    private const string TemporaryPrefix = ".tmp-checkpoint-";
    private const string DeletingPrefix = ".deleting-checkpoint-";

    public static string NameFor(long step) => Prefix + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>The complete checkpoints under <paramref name="root"/>, oldest first.</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        var result = new List<(long, string)>();
        foreach (string folder in Directory.EnumerateDirectories(root, Prefix + "*"))
        {
            string name = Path.GetFileName(folder);
            if (long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            {
                result.Add((step, folder));
            }
        }

        return result.OrderBy(c => c.Item1).ToList();
    }

    /// <summary>Deletes what earlier runs left half-done: temporary and half-deleted folders.</summary>
    public static void RemoveLeftovers(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (string folder in Directory.EnumerateDirectories(root, ".*-checkpoint-*"))
        {
            string name = Path.GetFileName(folder);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) || name.StartsWith(DeletingPrefix, StringComparison.Ordinal))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    public static string CreateTemporary(string root, long step)
    {
        Directory.CreateDirectory(root);
        string folder = Path.Combine(root, $"{TemporaryPrefix}{step:D8}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Renames the finished temporary folder to its checkpoint name, replacing an older checkpoint of the same step.</summary>
    public static string Commit(string temporary, string root, long step)
    {
        string final = Path.Combine(root, NameFor(step));
        if (Directory.Exists(final))
        {
            Delete(final);
        }

        Directory.Move(temporary, final);
        return final;
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public static void Prune(string root, int keep)
    {
        IReadOnlyList<(long Step, string Path)> all = List(root);
        foreach ((_, string path) in all.Take(Math.Max(0, all.Count - keep)))
        {
            Delete(path);
        }
    }

    private static void Delete(string checkpoint)
    {
        string parent = Path.GetDirectoryName(checkpoint)!;
        string hidden = Path.Combine(parent, DeletingPrefix + Path.GetFileName(checkpoint)[Prefix.Length..] + "-" + Guid.NewGuid().ToString("N"));
        Directory.Move(checkpoint, hidden);
        Directory.Delete(hidden, recursive: true);
    }
}
