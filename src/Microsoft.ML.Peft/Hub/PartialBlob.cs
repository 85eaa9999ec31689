using System.Security.Cryptography;

namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// The <c>blobs/{etag}.incomplete</c> file of a download in progress: appended to as bytes arrive, hashed on the way
/// (including any prefix left by an earlier attempt) so an LFS file's SHA-256 is known the moment it is complete.
/// </summary>
internal sealed class PartialBlob : IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly FileStream _file;
    private readonly bool _hashSha256;
    private IncrementalHash? _sha256;

    private PartialBlob(string path, FileStream file, bool hashSha256)
    {
        Path = path;
        _file = file;
        _hashSha256 = hashSha256;
        _sha256 = hashSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    public string Path { get; }

    /// <summary>Bytes held so far.</summary>
    public long Length => _file.Length;

    /// <summary>
    /// Opens (or creates) the partial file to append to. A partial file longer than <paramref name="expectedSize"/>
    /// cannot be a prefix of the content and is emptied.
    /// </summary>
    public static async Task<PartialBlob> OpenAsync(string path, bool hashSha256, long? expectedSize, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, FileOptions.Asynchronous);
        var blob = new PartialBlob(path, file, hashSha256);
        try
        {
            if (expectedSize is long size && file.Length > size)
            {
                blob.Restart();
            }
            else if (hashSha256 && file.Length > 0)
            {
                await blob.HashExistingPrefixAsync(cancellationToken).ConfigureAwait(false);
            }

            file.Position = file.Length;
            return blob;
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    public async ValueTask AppendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        _sha256?.AppendData(bytes.Span);
    }

    /// <summary>Drops everything received so far (the server ignored a range, or the prefix is unusable).</summary>
    public void Restart()
    {
        _file.SetLength(0);
        _file.Position = 0;
        _sha256?.Dispose();
        _sha256 = _hashSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    /// <summary>Writes buffered bytes to disk, so a later attempt resumes from them.</summary>
    public Task FlushAsync() => _file.FlushAsync();

    /// <summary>The SHA-256 (lower-case hex) of everything received.</summary>
    public string Sha256() =>
        _sha256 is null ? throw new InvalidOperationException("This partial blob is not hashed.") : Convert.ToHexStringLower(_sha256.GetCurrentHash());

    /// <summary>Closes and deletes the partial file, so a corrupt download leaves nothing behind.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(Path);
    }

    public void Dispose()
    {
        _file.Dispose();
        _sha256?.Dispose();
        _sha256 = null;
    }

    private async Task HashExistingPrefixAsync(CancellationToken cancellationToken)
    {
        _file.Position = 0;
        byte[] buffer = new byte[BufferSize];
        int read;
        while ((read = await _file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            _sha256!.AppendData(buffer, 0, read);
        }
    }
}
