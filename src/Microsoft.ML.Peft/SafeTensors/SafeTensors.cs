using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// Reads and writes the Hugging Face safetensors format: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw tensor bytes.
/// </summary>
/// <example>
/// <code>
/// SafeTensors.Save("adapter.safetensors", module.state_dict());
/// using SafeTensorsFile file = SafeTensors.Open("adapter.safetensors");
/// using torch.Tensor weight = file.Read("0.weight", torch.ScalarType.Float32);
/// </code>
/// </example>
public static class SafeTensors
{
    /// <summary>The largest header accepted, in bytes (100,000,000, the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>
    /// Opens and validates the safetensors file at <paramref name="path"/>. Only the header is read now; tensor bytes are
    /// memory-mapped and copied out one tensor at a time. Every rule of the format is checked (header bounds, UTF-8,
    /// JSON syntax, duplicate keys, dtypes, shapes, and that the tensors tile the data region exactly).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="SafeTensorsFormatException">The file breaks a rule of the format; <see cref="SafeTensorsFormatException.Violation"/> says which.</exception>
    public static SafeTensorsFile Open(string path) => SafeTensorsFile.Open(path);

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> in the layout of the reference writer (Python's
    /// <c>safetensors.torch.save_file</c>): tensors ordered by dtype, widest first, then by name; compact JSON; header
    /// padded with spaces to a multiple of 8 bytes. <c>__metadata__</c> holds <c>format = pt</c> (as Hugging Face
    /// transformers expects) merged with <paramref name="metadata"/>, whose entries win. The file is written to a temporary
    /// file in the same folder and renamed into place, so an existing file is replaced whole or not at all.
    /// Tensors may live on any device and have any strides; they are copied to contiguous CPU memory one at a time.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is null, disposed, sparse, named <c>__metadata__</c>, or of an element type safetensors cannot store (the message names it).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Save(path, tensors, metadata);
}
