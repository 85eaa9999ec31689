namespace Microsoft.ML.Peft.Hub;

/// <summary>Makes a blob appear in a snapshot folder under its repository file name.</summary>
internal static class SnapshotLinker
{
    /// <summary>
    /// Points <paramref name="pointerPath"/> at <paramref name="blobPath"/> with a relative symbolic link
    /// (<c>../../blobs/{etag}</c>), as <c>huggingface_hub</c> does, so the cache survives being moved. Where links cannot
    /// be made (Windows without developer mode, some file systems) the file is moved there when it was just downloaded
    /// and copied when other snapshots may share it — again as <c>huggingface_hub</c> does.
    /// </summary>
    public static void Link(string blobPath, string pointerPath, bool newBlob)
    {
        string folder = Path.GetDirectoryName(pointerPath)!;
        Directory.CreateDirectory(folder);
        File.Delete(pointerPath); // a stale or dangling pointer
        try
        {
            File.CreateSymbolicLink(pointerPath, Path.GetRelativePath(folder, blobPath));
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Fall through to a real file.
        }

        if (newBlob)
        {
            File.Move(blobPath, pointerPath);
        }
        else
        {
            File.Copy(blobPath, pointerPath);
        }
    }
}
