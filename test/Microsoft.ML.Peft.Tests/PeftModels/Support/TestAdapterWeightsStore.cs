using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels.Support;

/// <summary>
/// A minimal float32 safetensors writer and reader (8-byte little-endian header length, JSON header with dtype, shape
/// and data_offsets, raw little-endian data), standing in for the library's safetensors support, which is built on
/// another branch. It writes real files so the save/load tests exercise the file layout.
/// </summary>
internal sealed class TestAdapterWeightsStore : IAdapterWeightsStore
{
    public static TestAdapterWeightsStore Instance { get; } = new();

    public void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            header["__metadata__"] = new JsonObject(metadata.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        }

        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (key, tensor) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Assert.Equal(ScalarType.Float32, tensor.dtype);
            using Tensor cpu = tensor.detach().cpu().contiguous();
            float[] values = cpu.data<float>().ToArray();
            byte[] bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            blobs.Add(bytes);
            header[key] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
        }

        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        stream.Write(Enumerable.Repeat((byte)' ', padded - headerBytes.Length).ToArray());
        foreach (byte[] blob in blobs)
        {
            stream.Write(blob);
        }
    }

    public ITensorSource Open(string path) => new Source(path);

    /// <summary>The header of a file this store wrote: metadata and tensor names.</summary>
    public static JsonObject ReadHeader(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length).TrimEnd())!.AsObject();
    }

    private sealed class Source : ITensorSource
    {
        private readonly byte[] _bytes;
        private readonly int _dataStart;
        private readonly Dictionary<string, (long[] Shape, long Begin, long End)> _entries = new(StringComparer.Ordinal);

        public Source(string path)
        {
            Description = path;
            _bytes = File.ReadAllBytes(path);
            int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(_bytes);
            _dataStart = 8 + length;
            JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(_bytes, 8, length).TrimEnd())!.AsObject();
            foreach (var (key, value) in header)
            {
                if (key == "__metadata__")
                {
                    continue;
                }

                JsonObject entry = value!.AsObject();
                long[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                JsonArray offsets = entry["data_offsets"]!.AsArray();
                _entries[key] = (shape, offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
            }
        }

        public string Description { get; }

        public IReadOnlyCollection<string> Keys => _entries.Keys;

        public bool Contains(string key) => _entries.ContainsKey(key);

        public ScalarType GetDType(string key) => ScalarType.Float32;

        public long[] GetShape(string key) => _entries[key].Shape;

        public Tensor Read(string key, ScalarType? dtype = null)
        {
            var (shape, begin, end) = _entries[key];
            float[] values = new float[(end - begin) / 4];
            Buffer.BlockCopy(_bytes, _dataStart + (int)begin, values, 0, (int)(end - begin));
            Tensor tensor = torch.tensor(values, shape);
            return dtype is { } target && target != ScalarType.Float32 ? tensor.to(target) : tensor;
        }

        public void Dispose()
        {
        }
    }
}
