using System.Buffers.Binary;
using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// An open <c>.safetensors</c> file. The header is parsed and validated when the file is opened; tensor bytes stay in a
/// read-only memory mapping and are copied out one tensor at a time by <see cref="Read"/>. Dispose to unmap the file.
/// Open one with <see cref="SafeTensors.Open"/>.
/// </summary>
/// <remarks>
/// Reading from several threads at once is safe; disposing while another thread reads is not.
/// The file must not be truncated while it is open (a mapped file that shrinks faults the process); replacing it
/// by rename, as <see cref="SafeTensors.Save"/> does, is safe.
/// </remarks>
public sealed unsafe class SafeTensorsFile : ITensorSource
{
    private readonly MappedFile _file;
    private readonly SafeTensorsHeader _header;
    private readonly IReadOnlyCollection<string> _keys;
    private volatile bool _disposed;

    private SafeTensorsFile(string path, MappedFile file, long headerLength, SafeTensorsHeader header)
    {
        Path = path;
        _file = file;
        HeaderLength = headerLength;
        _header = header;
        _keys = Array.AsReadOnly(header.Tensors.Select(t => t.Name).ToArray());
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Description => Path;

    /// <summary>The length in bytes of the JSON header (including its padding), as the file's 8-byte prefix states it.</summary>
    public long HeaderLength { get; }

    /// <summary>The position of the data region (the first tensor byte) in the file: 8 + <see cref="HeaderLength"/>.</summary>
    public long DataRegionStart => 8 + HeaderLength;

    /// <summary>The header's <c>__metadata__</c> entries (empty when it has none), for example <c>format = pt</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>What the header says about each tensor, in the order their bytes lie in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => _header.Tensors;

    /// <summary>The tensor names, in the order their bytes lie in the file.</summary>
    public IReadOnlyCollection<string> Keys => _keys;

    /// <inheritdoc />
    public bool Contains(string key) => _header.ByName.ContainsKey(key);

    /// <summary>What the header says about the tensor <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file holds no such tensor.</exception>
    public SafeTensorInfo GetInfo(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _header.ByName.TryGetValue(key, out SafeTensorInfo? info)
            ? info
            : throw new KeyNotFoundException($"Tensor '{key}' is not in {Path}.");
    }

    /// <inheritdoc />
    public torch.ScalarType GetDType(string key) => GetInfo(key).ScalarType;

    /// <inheritdoc />
    public long[] GetShape(string key) => GetInfo(key).GetShapeArray();

    /// <summary>
    /// Copies the tensor <paramref name="key"/> out of the file into a new CPU tensor that the caller owns, converted to
    /// <paramref name="dtype"/> when given (for example BF16 or F16 weights to <see cref="torch.ScalarType.Float32"/>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file holds no such tensor.</exception>
    /// <exception cref="SafeTensorsFormatException">A BOOL tensor holds a byte other than 0 or 1.</exception>
    public torch.Tensor Read(string key, torch.ScalarType? dtype = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeTensorInfo info = GetInfo(key);
        byte* source = _file.PointerAt(info.FileOffset, info.ByteLength);
        if (info.ScalarType == torch.ScalarType.Bool)
        {
            CheckBoolBytes(info, source);
        }

        torch.Tensor stored = torch.empty(info.GetShapeArray(), info.ScalarType);
        try
        {
            TensorBytes.CopyInto(stored, source, info.ByteLength);
            if (dtype is not { } wanted || wanted == info.ScalarType)
            {
                return stored;
            }

            using (stored)
            {
                return stored.to(wanted);
            }
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the file. Tensors already read stay valid: they own copies of their bytes.</summary>
    public void Dispose()
    {
        _disposed = true;
        _file.Dispose();
    }

    /// <summary>Opens and validates <paramref name="path"/>; see <see cref="SafeTensors.Open"/>.</summary>
    internal static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors files are little-endian; this reader runs only on little-endian machines.");
        }

        string fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The safetensors file '{fullPath}' does not exist.", fullPath);
        }

        // FileShare.Delete lets a writer replace the file by rename while we hold it open.
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            long headerLength = ReadHeaderLength(fullPath, stream);
            MappedFile file = MappedFile.Map(stream);
            try
            {
                long dataRegionStart = 8 + headerLength;
                SafeTensorsHeader header = SafeTensorsHeaderParser.Parse(
                    fullPath, file.Span(8, (int)headerLength), dataRegionStart, file.Length - dataRegionStart);
                return new SafeTensorsFile(fullPath, file, headerLength, header);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads and bounds the 8-byte header length before anything is mapped or allocated.</summary>
    private static long ReadHeaderLength(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.FileTooShort,
                $"the file holds {fileLength} bytes, fewer than the 8-byte header length prefix.");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafeTensors.MaxHeaderLength)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.HeaderTooLarge,
                $"the header length prefix says {headerLength} bytes, more than the {SafeTensors.MaxHeaderLength}-byte limit.");
        }

        if ((long)headerLength > fileLength - 8)
        {
            throw new SafeTensorsFormatException(path, SafeTensorsViolation.HeaderLongerThanFile,
                $"the header length prefix says {headerLength} bytes, but only {fileLength - 8} bytes follow it.");
        }

        return (long)headerLength;
    }

    private void CheckBoolBytes(SafeTensorInfo info, byte* source)
    {
        for (long i = 0; i < info.ByteLength; i++)
        {
            if (source[i] > 1)
            {
                throw new SafeTensorsFormatException(Path, SafeTensorsViolation.InvalidBoolValue,
                    $"BOOL tensor '{info.Name}' holds byte {source[i]} at element {i}; only 0 and 1 are valid.");
            }
        }
    }
}
