using Microsoft.ML;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>Reads one of our model streams back from an ML.NET model zip; wraps ML.NET's load plumbing.</summary>
internal sealed class ModelReader
{
    private readonly ModelLoadContext _context;

    internal ModelReader(ModelLoadContext context, ModelVersion version)
    {
        _context = context;
        _context.CheckAtModel(version.ToVersionInfo());
        VersionWritten = context.Header.ModelVerWritten;
    }

    /// <summary>The version of the code that wrote the stream (for reading older layouts).</summary>
    public uint VersionWritten { get; }

    /// <summary>The model's main binary stream.</summary>
    public BinaryReader Reader => _context.Reader;

    /// <summary>Reads a string written with <see cref="ModelWriter.WriteString"/>.</summary>
    public string ReadString() => _context.LoadString();

    /// <summary>Reads a string or null written with <see cref="ModelWriter.WriteStringOrNull"/>.</summary>
    public string? ReadStringOrNull() => _context.LoadStringOrNull();

    /// <summary>Reads a named binary entry written with <see cref="ModelWriter.WriteBinaryStream"/>; false when absent.</summary>
    public bool TryReadBinaryStream(string name, Action<BinaryReader> read) => _context.TryLoadBinaryStream(name, read);
}
