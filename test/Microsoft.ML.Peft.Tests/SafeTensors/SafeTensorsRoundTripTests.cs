using System.Text;
using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>Tensors written by <see cref="SafeTensors.Save"/> read back identically; hand-built valid files read as specified.</summary>
public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<ScalarType, string> EveryDType => new()
    {
        { ScalarType.Float64, "F64" },
        { ScalarType.Float32, "F32" },
        { ScalarType.Float16, "F16" },
        { ScalarType.BFloat16, "BF16" },
        { ScalarType.Int64, "I64" },
        { ScalarType.Int32, "I32" },
        { ScalarType.Int16, "I16" },
        { ScalarType.Int8, "I8" },
        { ScalarType.Byte, "U8" },
        { ScalarType.Bool, "BOOL" },
    };

    [Theory]
    [MemberData(nameof(EveryDType))]
    public void EveryDTypeRoundTrips(ScalarType dtype, string fileDType)
    {
        using Tensor original = SampleValues(dtype, 2, 3);
        string path = _folder.File("t.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = original });

        using SafeTensorsFile file = SafeTensors.Open(path);
        SafeTensorInfo info = file.GetInfo("t");
        Assert.Equal(fileDType, info.DTypeName);
        Assert.Equal(dtype, file.GetDType("t"));
        Assert.Equal(new long[] { 2, 3 }, file.GetShape("t"));
        Assert.Equal(6 * original.ElementSize, info.ByteLength);
        using Tensor read = file.Read("t");
        Assert.Equal(dtype, read.dtype);
        Assert.Equal(DeviceType.CPU, read.device_type);
        Assert.True(read.Equals(original), $"{dtype} values changed in the round trip.");
    }

    [Theory]
    [MemberData(nameof(EveryDType))]
    public void ScalarsRoundTrip(ScalarType dtype, string fileDType)
    {
        using Tensor original = SampleValues(dtype, 1).reshape([]);
        string path = _folder.File("scalar.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["s"] = original });

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(fileDType, file.GetInfo("s").DTypeName);
        Assert.Empty(file.GetShape("s"));
        Assert.Equal(1, file.GetInfo("s").ElementCount);
        using Tensor read = file.Read("s");
        Assert.Equal(0, read.dim());
        Assert.True(read.Equals(original));
    }

    [Theory]
    [InlineData(ScalarType.Float32, new long[] { 0 })]
    [InlineData(ScalarType.Int64, new long[] { 2, 0, 3 })]
    [InlineData(ScalarType.BFloat16, new long[] { 0, 4 })]
    [InlineData(ScalarType.Bool, new long[] { 3, 0 })]
    public void EmptyTensorsRoundTripWithZeroBytes(ScalarType dtype, long[] shape)
    {
        using Tensor empty = torch.empty(shape, dtype);
        using Tensor neighbour = torch.ones(2, dtype);
        string path = _folder.File("empty.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["empty"] = empty, ["neighbour"] = neighbour });

        using SafeTensorsFile file = SafeTensors.Open(path);
        SafeTensorInfo info = file.GetInfo("empty");
        Assert.Equal(0, info.ByteLength);
        Assert.Equal(0, info.ElementCount);
        Assert.Equal(shape, file.GetShape("empty"));
        using Tensor read = file.Read("empty");
        Assert.Equal(shape, read.shape);
        Assert.Equal(dtype, read.dtype);
        using Tensor readNeighbour = file.Read("neighbour");
        Assert.True(readNeighbour.Equals(neighbour));
    }

    [Fact]
    public void HalfPrecisionWeightsReadIntoFloat32()
    {
        float[] values = [1.5f, -2.25f, 0.0078125f, 65504f, -0f, 3f];
        using Tensor source = torch.tensor(values);
        using Tensor f16 = source.to(ScalarType.Float16);
        using Tensor bf16 = source.to(ScalarType.BFloat16);
        string path = _folder.File("half.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["f16"] = f16, ["bf16"] = bf16 });

        using SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor fromF16 = file.Read("f16", ScalarType.Float32);
        using Tensor fromBf16 = file.Read("bf16", ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, fromF16.dtype);
        Assert.Equal(ScalarType.Float32, fromBf16.dtype);
        Assert.Equal(values, fromF16.data<float>().ToArray());
        // 65504 is not a bfloat16 value; it rounds to 65536.
        Assert.Equal(new[] { 1.5f, -2.25f, 0.0078125f, 65536f, -0f, 3f }, fromBf16.data<float>().ToArray());
    }

    [Fact]
    public void Float32WeightsReadIntoHalfPrecisionOnRequest()
    {
        using Tensor source = torch.tensor(new[] { 1.0f, 0.1f, -3.3f, 1e-3f });
        string path = _folder.File("f32.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = source });

        using SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor bf16 = file.Read("w", ScalarType.BFloat16);
        using Tensor f16 = file.Read("w", ScalarType.Float16);
        using Tensor expectedBf16 = source.to(ScalarType.BFloat16);
        using Tensor expectedF16 = source.to(ScalarType.Float16);
        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        Assert.Equal(ScalarType.Float16, f16.dtype);
        Assert.True(bf16.Equals(expectedBf16));
        Assert.True(f16.Equals(expectedF16));
    }

    [Fact]
    public void NonContiguousTensorsAreSavedByValue()
    {
        using Tensor matrix = torch.arange(12, ScalarType.Float32).reshape(3, 4);
        using Tensor transposed = matrix.t();
        using Tensor column = matrix.narrow(1, 1, 2);
        Assert.False(transposed.is_contiguous());
        string path = _folder.File("strided.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed, ["c"] = column });

        using SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor readT = file.Read("t");
        using Tensor readC = file.Read("c");
        Assert.Equal(new long[] { 4, 3 }, readT.shape);
        Assert.True(readT.Equals(transposed));
        Assert.True(readC.Equals(column));
    }

    [Fact]
    public void TensorsThatRequireGradAreSaved()
    {
        using Tensor weight = torch.ones(2, 2).requires_grad_(true);
        string path = _folder.File("grad.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = weight });

        using SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor read = file.Read("w");
        Assert.False(read.requires_grad);
        Assert.True(read.Equals(weight));
    }

    [Fact]
    public void MetadataDefaultsToFormatPtAndKeepsUserEntries()
    {
        using Tensor t = torch.zeros(1);
        string plain = _folder.File("plain.safetensors");
        string tagged = _folder.File("tagged.safetensors");
        SafeTensors.Save(plain, new Dictionary<string, Tensor> { ["t"] = t });
        SafeTensors.Save(tagged, new Dictionary<string, Tensor> { ["t"] = t },
            new Dictionary<string, string> { ["peft_type"] = "LORA", ["note"] = "ünïcode \"quoted\"\n" });

        using (SafeTensorsFile file = SafeTensors.Open(plain))
        {
            Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, file.Metadata);
        }

        using (SafeTensorsFile file = SafeTensors.Open(tagged))
        {
            Assert.Equal(3, file.Metadata.Count);
            Assert.Equal("pt", file.Metadata["format"]);
            Assert.Equal("LORA", file.Metadata["peft_type"]);
            Assert.Equal("ünïcode \"quoted\"\n", file.Metadata["note"]);
        }
    }

    [Fact]
    public void PerTensorInfoGivesOffsetsInFileOrder()
    {
        using Tensor small = torch.ones(3, ScalarType.Int8);
        using Tensor wide = torch.ones(2, ScalarType.Float64);
        string path = _folder.File("info.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["small"] = small, ["wide"] = wide });

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(new[] { "wide", "small" }, file.Keys);
        Assert.Equal(new[] { "wide", "small" }, file.Tensors.Select(t => t.Name));
        SafeTensorInfo wideInfo = file.GetInfo("wide");
        SafeTensorInfo smallInfo = file.GetInfo("small");
        Assert.Equal((0L, 16L), (wideInfo.DataBegin, wideInfo.DataEnd));
        Assert.Equal((16L, 19L), (smallInfo.DataBegin, smallInfo.DataEnd));
        Assert.Equal(8 + file.HeaderLength, file.DataRegionStart);
        Assert.Equal(file.DataRegionStart + 16, smallInfo.FileOffset);
        Assert.Equal(file.DataRegionStart + 19, new FileInfo(path).Length);
        Assert.Equal(0, file.HeaderLength % 8);
    }

    [Fact]
    public void ReadsAHandBuiltFileInAnyHeaderOrderWithPaddingAndNullMetadata()
    {
        // Header order differs from data order, and the reader must not care; trailing spaces pad the header.
        string header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},\"__metadata__\":null," +
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[12,12]}}   ";
        string path = HandBuiltSafeTensors.Write(_folder, header, HandBuiltSafeTensors.Floats(1f, 2f, 3f));

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Empty(file.Metadata);
        Assert.Equal(new[] { "a", "b", "e" }, file.Keys);
        using Tensor a = file.Read("a");
        using Tensor b = file.Read("b");
        Assert.Equal(new[] { 1f, 2f }, a.data<float>().ToArray());
        Assert.Equal(new[] { 3f }, b.data<float>().ToArray());
    }

    [Fact]
    public void ReadsTheReferenceImplementationsSerializationExample()
    {
        // The bytes of huggingface/safetensors' own serialization test: one F32 tensor 'attn.0' of shape [1, 2, 3].
        string header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        Assert.Equal(64, header.Length);
        byte[] bytes = HandBuiltSafeTensors.Bytes(Encoding.ASCII.GetBytes(header), HandBuiltSafeTensors.Floats(0, 1, 2, 3, 4, 5));
        string path = HandBuiltSafeTensors.WriteBytes(_folder, bytes);

        using SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor attn = file.Read("attn.0");
        Assert.Equal(new long[] { 1, 2, 3 }, attn.shape);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, attn.data<float>().ToArray());
    }

    [Fact]
    public void EmptyCheckpointIsValid()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{}      ");
        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Empty(file.Keys);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void UnknownKeyIsReportedWithTheFileName()
    {
        using Tensor t = torch.zeros(1);
        string path = _folder.File("k.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["present"] = t });

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.False(file.Contains("absent"));
        var error = Assert.Throws<KeyNotFoundException>(() => file.Read("absent"));
        Assert.Contains("'absent'", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void TensorsReadBeforeDisposeStayValidAndReadsAfterDisposeFail()
    {
        using Tensor t = torch.arange(4, ScalarType.Float32);
        string path = _folder.File("d.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = t });

        SafeTensorsFile file = SafeTensors.Open(path);
        using Tensor read = file.Read("t");
        file.Dispose();
        Assert.Equal(new[] { 0f, 1f, 2f, 3f }, read.data<float>().ToArray());
        Assert.Throws<ObjectDisposedException>(() => file.Read("t"));
        file.Dispose();
    }

    private static Tensor SampleValues(ScalarType dtype, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        using Tensor counting = torch.arange(count, ScalarType.Float32).reshape(shape);
        if (dtype == ScalarType.Bool)
        {
            using Tensor remainder = counting.remainder(2);
            return remainder.eq(0);
        }

        // Mix signs and fractions where the type can hold them; every value stays exact in every type.
        using Tensor shifted = counting - 2;
        using Tensor values = dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64
            ? shifted * 0.5
            : dtype == ScalarType.Byte ? counting + 250 - count : shifted * 3;
        return values.to(dtype);
    }
}
