using System.IO.MemoryMappedFiles;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>A read-only memory mapping of a whole file, addressed by absolute byte offset.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _start;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        _map = map;
        _view = view;
        Length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _start = pointer + view.PointerOffset;
    }

    /// <summary>The file's length in bytes when it was mapped.</summary>
    public long Length { get; }

    /// <summary>Maps the file behind <paramref name="stream"/>, which must be non-empty; the mapping takes ownership of the stream.</summary>
    public static MappedFile Map(FileStream stream)
    {
        long length = stream.Length;
        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(
            stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(map, view, length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        byte* pointer = PointerAt(offset, length);
        return new ReadOnlySpan<byte>(pointer, length);
    }

    /// <summary>A pointer to the byte at <paramref name="offset"/>, after checking that <paramref name="length"/> bytes from there lie in the file.</summary>
    public byte* PointerAt(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_start is null, this);
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} are outside the {Length}-byte file.");
        }

        return _start + offset;
    }

    public void Dispose()
    {
        if (_start is null)
        {
            return;
        }

        _start = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
