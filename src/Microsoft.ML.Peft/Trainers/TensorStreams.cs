using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.MLNetSeam;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Named tensors stored as one safetensors blob in a binary entry of an ML.NET model zip (layout: int64 byte count,
/// then the bytes of a <c>.safetensors</c> file). The blob passes through a temporary file, because our safetensors
/// reader maps files.
/// </summary>
internal static class TensorStreams
{
    /// <summary>Writes <paramref name="tensors"/> (any device; they are copied to the CPU) as entry <paramref name="name"/>.</summary>
    public static void Write(ModelWriter writer, string name, IReadOnlyDictionary<string, Tensor> tensors)
    {
        string path = TemporaryPath();
        try
        {
            using (var scope = NewDisposeScope())
            {
                var onCpu = tensors.ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous(), StringComparer.Ordinal);
                SafeTensors.Save(path, onCpu);
            }

            writer.WriteBinaryStream(name, w =>
            {
                using FileStream file = File.OpenRead(path);
                w.Write(file.Length);
                w.Flush();
                file.CopyTo(w.BaseStream);
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads entry <paramref name="name"/> and hands its tensors to <paramref name="use"/> (valid only during the call).</summary>
    /// <exception cref="InvalidDataException">The model has no such entry, or it is truncated.</exception>
    public static void Read(ModelReader reader, string name, Action<ITensorSource> use)
    {
        string path = TemporaryPath();
        try
        {
            bool found = reader.TryReadBinaryStream(name, r =>
            {
                long length = r.ReadInt64();
                using FileStream file = File.Create(path);
                CopyExactly(r.BaseStream, file, length, name);
            });
            if (!found)
            {
                throw new InvalidDataException($"The saved model has no '{name}' entry.");
            }

            using ITensorSource source = SafeTensors.Open(path);
            use(source);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads every tensor of entry <paramref name="name"/> into memory (the caller owns them).</summary>
    /// <exception cref="InvalidDataException">The model has no such entry, or it is truncated.</exception>
    public static Dictionary<string, Tensor> ReadAll(ModelReader reader, string name)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Read(reader, name, source =>
        {
            foreach (string key in source.Keys)
            {
                tensors[key] = source.Read(key).DetachFromDisposeScope();
            }
        });
        return tensors;
    }

    private static void CopyExactly(Stream from, Stream to, long length, string name)
    {
        var buffer = new byte[1 << 20];
        long left = length;
        while (left > 0)
        {
            int read = from.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                throw new InvalidDataException($"The saved model's '{name}' entry ends after {length - left} of {length} bytes.");
            }

            to.Write(buffer, 0, read);
            left -= read;
        }
    }

    private static string TemporaryPath() => Path.Combine(Path.GetTempPath(), $"peft-{Guid.NewGuid():N}.safetensors");
}
