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

    // ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33), which .NET also reports for a held flock on Unix;
    // any other I/O error is real and must not be waited on forever.
    private static bool IsHeldElsewhere(IOException e) => (e.HResult & 0xFFFF) is 32 or 33;
}
