namespace Microsoft.ML.Peft.Hub;

/// <summary>Whether a snapshot entry (<c>snapshots/{commit}/{filename}</c>) really holds the file.</summary>
internal static class SnapshotPointer
{
    /// <summary>
    /// True when <paramref name="path"/> is a regular file, or a link that ends at one. A link whose blob is gone (a
    /// pruned <c>blobs/</c> folder, a partial copy of the cache) is not: on Unix <see cref="File.Exists"/> follows no
    /// link and reports it present, whereas <c>huggingface_hub</c>'s <c>os.path.exists</c> reports it missing and
    /// downloads the file again.
    /// </summary>
    public static bool Exists(string path)
    {
        var entry = new FileInfo(path);
        if (!entry.Exists)
        {
            return false;
        }

        if (entry.LinkTarget is null)
        {
            return true;
        }

        try
        {
            return entry.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // a loop of links, or one that cannot be followed
        }
    }
}
