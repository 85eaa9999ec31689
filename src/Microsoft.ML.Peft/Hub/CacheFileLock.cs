namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// An exclusive lock on <c>.locks/models--{org}--{name}/{etag}.lock</c>, so two processes (or threads) never write the
/// same blob at once. On Unix .NET takes it with <c>flock</c>, as Python's <c>filelock</c> does, so the two also exclude
/// each other. The lock file is left in place, as <c>huggingface_hub</c> leaves it.
/// </summary>
internal sealed class CacheFileLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly FileStream _stream;

    private CacheFileLock(FileStream stream) => _stream = stream;

    /// <summary>Waits until the lock is free (or <paramref name="cancellationToken"/> fires) and takes it.</summary>
    public static async Task<CacheFileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new CacheFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();

    // The lock is held when opening fails with Windows' ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33), or
    // on Unix with flock's EWOULDBLOCK (11 on Linux, 35 on macOS and the BSDs), which .NET reports as the HResult. Any
    // other I/O error is real and must not be waited on forever.
    private static bool IsHeldElsewhere(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33
        : OperatingSystem.IsLinux() ? e.HResult == 11
        : e.HResult == 35;
}
