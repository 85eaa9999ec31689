using System.Buffers.Binary;
using System.Text;
using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// Writes safetensors files laid out exactly as the reference writer (huggingface/safetensors, <c>prepare</c> in
/// <c>safetensors/src/tensor.rs</c>) lays them out, so files round-trip byte for byte with Python's <c>save_file</c>.
/// </summary>
internal static class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private sealed record PlannedTensor(string Name, byte[] NameUtf8, torch.Tensor Tensor, string DType, int ReferenceRank, long[] Shape, long ByteLength);

    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors files are little-endian; this writer runs only on little-endian machines.");
        }

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{fullPath}' names no file.", nameof(path));
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot save '{fullPath}': the folder '{directory}' does not exist.");
        }

        if (Directory.Exists(fullPath))
        {
            throw new ArgumentException($"Cannot save to '{fullPath}': it is a folder.", nameof(path));
        }

        List<PlannedTensor> plan = Plan(tensors);
        byte[] header = BuildHeader(plan, MergeMetadata(metadata));
        WriteAtomically(fullPath, directory, header, plan);
    }

    /// <summary>Checks every tensor up front (so nothing is written when one is unusable) and orders them as the reference does.</summary>
    private static List<PlannedTensor> Plan(IReadOnlyDictionary<string, torch.Tensor> tensors)
    {
        var plan = new List<PlannedTensor>(tensors.Count);
        foreach ((string name, torch.Tensor tensor) in tensors)
        {
            if (name == SafeTensorsHeaderParser.MetadataKey)
            {
                throw new ArgumentException(
                    $"A tensor cannot be named '{name}': the safetensors header reserves that key for metadata.", nameof(tensors));
            }

            byte[] nameUtf8 = EncodeStrict(name, $"Tensor name '{name}'", nameof(tensors));
            if (tensor is null)
            {
                throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            }

            if (tensor.IsInvalid)
            {
                throw new ArgumentException($"Tensor '{name}' has been disposed.", nameof(tensors));
            }

            if (!SafeTensorsDTypes.TryFromScalarType(tensor.dtype, out string dtype, out int elementSize, out int rank))
            {
                throw new ArgumentException(
                    $"Tensor '{name}' has element type {tensor.dtype}, which safetensors cannot store; " +
                    $"supported element types are {SafeTensorsDTypes.SupportedScalarTypes}.", nameof(tensors));
            }

            if (tensor.is_sparse)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' is sparse; safetensors stores dense tensors only (call to_dense() first).", nameof(tensors));
            }

            long[] shape = tensor.shape;
            long byteLength = checked(tensor.NumberOfElements * elementSize);
            plan.Add(new PlannedTensor(name, nameUtf8, tensor, dtype, rank, shape, byteLength));
        }

        // The reference sorts by dtype, descending in its Dtype enum order (which rises with alignment), then by
        // name as UTF-8 bytes, so the widest elements come first and every tensor stays aligned to its element size.
        plan.Sort((left, right) =>
        {
            int byDType = right.ReferenceRank.CompareTo(left.ReferenceRank);
            return byDType != 0 ? byDType : left.NameUtf8.AsSpan().SequenceCompareTo(right.NameUtf8);
        });
        return plan;
    }

    private static List<KeyValuePair<string, string>> MergeMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        foreach ((string key, string value) in metadata ?? new Dictionary<string, string>())
        {
            EncodeStrict(key, $"Metadata key '{key}'", nameof(metadata));
            if (value is null)
            {
                throw new ArgumentException($"Metadata '{key}' has a null value; safetensors metadata values are strings.", nameof(metadata));
            }

            EncodeStrict(value, $"The value of metadata '{key}'", nameof(metadata));
            merged[key] = value;
        }

        // The reference keeps metadata in a hash map, so its order is arbitrary; we sort for reproducible files.
        return merged
            .OrderBy(entry => entry.Key, Comparer<string>.Create((a, b) => StrictUtf8.GetBytes(a).AsSpan().SequenceCompareTo(StrictUtf8.GetBytes(b))))
            .ToList();
    }

    /// <summary>The JSON header padded with spaces to a multiple of 8 bytes, so the data region starts 8-byte aligned.</summary>
    private static byte[] BuildHeader(List<PlannedTensor> plan, List<KeyValuePair<string, string>> metadata)
    {
        var json = new CompactJson().Raw('{');
        json.String(SafeTensorsHeaderParser.MetadataKey).Raw(':').Raw('{');
        for (int i = 0; i < metadata.Count; i++)
        {
            if (i > 0)
            {
                json.Raw(',');
            }

            json.String(metadata[i].Key).Raw(':').String(metadata[i].Value);
        }

        json.Raw('}');
        long offset = 0;
        foreach (PlannedTensor tensor in plan)
        {
            json.Raw(',').String(tensor.Name).Raw(':').Raw('{')
                .String("dtype").Raw(':').String(tensor.DType).Raw(',')
                .String("shape").Raw(':').Raw('[');
            for (int i = 0; i < tensor.Shape.Length; i++)
            {
                if (i > 0)
                {
                    json.Raw(',');
                }

                json.Number(tensor.Shape[i]);
            }

            long end = checked(offset + tensor.ByteLength);
            json.Raw(']').Raw(',').String("data_offsets").Raw(':').Raw('[').Number(offset).Raw(',').Number(end).Raw(']').Raw('}');
            offset = end;
        }

        json.Raw('}');
        byte[] unpadded = json.ToUtf8();
        int padded = checked((unpadded.Length + 7) / 8 * 8);
        if (padded > SafeTensors.MaxHeaderLength)
        {
            throw new ArgumentException(
                $"The safetensors header would be {padded} bytes, more than the {SafeTensors.MaxHeaderLength}-byte limit readers enforce.");
        }

        byte[] header = new byte[padded];
        unpadded.CopyTo(header, 0);
        header.AsSpan(unpadded.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>Writes to a temporary file beside the target and renames it over the target, so the target is never half-written.</summary>
    private static void WriteAtomically(string fullPath, string directory, byte[] header, List<PlannedTensor> plan)
    {
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                byte[] prefix = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (PlannedTensor tensor in plan)
                {
                    WriteTensor(stream, tensor);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(tempPath);
            }
            catch (IOException)
            {
                // Best effort: the original error matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }

            throw;
        }
    }

    private static void WriteTensor(Stream stream, PlannedTensor planned)
    {
        using var scope = torch.NewDisposeScope();
        torch.Tensor data;
        try
        {
            data = planned.Tensor.detach().cpu().contiguous();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException(
                $"Tensor '{planned.Name}' could not be copied into a contiguous CPU tensor: {e.Message}", "tensors", e);
        }

        if (!data.is_contiguous() || checked(data.NumberOfElements * data.ElementSize) != planned.ByteLength)
        {
            throw new ArgumentException($"Tensor '{planned.Name}' could not be made contiguous, or changed size while being saved.", "tensors");
        }

        TensorBytes.WriteTo(stream, data, planned.ByteLength);
    }

    private static byte[] EncodeStrict(string text, string what, string parameter)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} is not valid Unicode (it holds a lone surrogate), so it cannot be written as UTF-8.", parameter, e);
        }
    }
}
