using Microsoft.ML;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>Writes one of our model streams into an ML.NET model zip; wraps ML.NET's internal save plumbing.</summary>
internal sealed class ModelWriter
{
    private readonly ModelSaveContext _context;

    internal ModelWriter(ModelSaveContext context, ModelVersion version)
    {
        _context = context;
        _context.CheckAtModel();
        _context.SetVersionInfo(version.ToVersionInfo());
    }

    /// <summary>The model's main binary stream.</summary>
    public BinaryWriter Writer => _context.Writer;

    /// <summary>Writes a string into the model's string table (ML.NET's compact form, read back with <see cref="ModelReader.ReadString"/>).</summary>
    public void WriteString(string value) => _context.SaveString(value);

    /// <summary>Writes a string or null into the model's string table.</summary>
    public void WriteStringOrNull(string? value) => _context.SaveStringOrNull(value);

    /// <summary>Writes a separate named binary entry beside the model stream (for large payloads such as weights or a vocabulary).</summary>
    public void WriteBinaryStream(string name, Action<BinaryWriter> write) => _context.SaveBinaryStream(name, write);
}
