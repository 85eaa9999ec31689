using System.Buffers.Binary;
using System.Text;
using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>
/// The writer's bytes match hand-computed expectations of the reference layout (huggingface/safetensors
/// <c>prepare</c>): tensors sorted by dtype (widest first, in the reference's Dtype order) then by UTF-8 name,
/// compact JSON, header padded with spaces to a multiple of 8; and writing is atomic.
/// </summary>
public sealed class SafeTensorsWriterLayoutTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SingleTensorFileMatchesHandComputedBytes()
    {
        using Tensor attn = torch.arange(6, ScalarType.Float32).reshape(1, 2, 3);
        string path = _folder.File("one.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["attn.0"] = attn });

        // 95 bytes of JSON plus one space of padding make a 96-byte header.
        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}} ";
        byte[] expected =
        [
            96, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(header),
            0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xA0, 0x40,
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void TensorsAreOrderedByDTypeWidestFirstThenByName()
    {
        // Names are chosen so that name order alone would give a different layout.
        var tensors = new Dictionary<string, Tensor>
        {
            ["m"] = torch.ones(1, ScalarType.Bool),
            ["e"] = torch.ones(1, ScalarType.Byte),
            ["x"] = torch.ones(1, ScalarType.Int8),
            ["0"] = torch.ones(1, ScalarType.Int16),
            ["b"] = torch.ones(1, ScalarType.Float16),
            ["a"] = torch.ones(1, ScalarType.Float16),
            ["g"] = torch.ones(1, ScalarType.BFloat16),
            ["c"] = torch.ones(1, ScalarType.Int32),
            ["k"] = torch.ones(1, ScalarType.Float32),
            ["j"] = torch.ones(1, ScalarType.Float64),
            ["z"] = torch.ones(1, ScalarType.Int64),
        };
        string path = _folder.File("order.safetensors");
        try
        {
            SafeTensors.Save(path, tensors);
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }

        string expectedHeader =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"j\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"k\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}," +
            "\"c\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[20,24]}," +
            "\"g\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[24,26]}," +
            "\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[26,28]}," +
            "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[28,30]}," +
            "\"0\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[30,32]}," +
            "\"x\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[32,33]}," +
            "\"e\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[33,34]}," +
            "\"m\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[34,35]}}" +
            "      "; // 634 bytes of JSON, padded with 6 spaces to 640.
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(640UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(expectedHeader, Encoding.UTF8.GetString(bytes, 8, 640));
        Assert.Equal(8 + 640 + 35, bytes.Length);

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.FileOffset % t.ElementSize));
    }

    [Fact]
    public void NamesAreOrderedByUtf8BytesLikeTheReference()
    {
        // U+FF61 is EF BD A1 in UTF-8 and U+1F600 is F0 9F 98 80, so U+FF61 sorts first by bytes,
        // although its UTF-16 unit (FF61) sorts after the emoji's high surrogate (D83D).
        const string halfwidth = "\uFF61";
        const string emoji = "\U0001F600";
        Assert.True(string.CompareOrdinal(emoji, halfwidth) < 0);
        using Tensor one = torch.ones(1);
        using Tensor two = torch.ones(1) * 2;
        string path = _folder.File("utf8.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [emoji] = two, [halfwidth] = one });

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(new[] { halfwidth, emoji }, file.Keys);
        string header = Encoding.UTF8.GetString(File.ReadAllBytes(path), 8, (int)file.HeaderLength);
        Assert.Contains($"\"{halfwidth}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}},\"{emoji}\":", header);
    }

    [Fact]
    public void StringsAreEscapedOnlyWhereJsonRequiresIt()
    {
        const string name = "a\"b\\c\nd\u0001\u007Fé/<+";
        using Tensor t = torch.zeros(1, ScalarType.Byte);
        string path = _folder.File("escape.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [name] = t });

        byte[] bytes = File.ReadAllBytes(path);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"},\"a\\\"b\\\\c\\nd\\u0001\u007Fé/<+\":{\"dtype\":\"U8\"", header);
        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(name, Assert.Single(file.Keys));
    }

    [Fact]
    public void UserMetadataIsMergedWithFormatPtInKeyOrder()
    {
        string path = _folder.File("meta.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["zeta"] = "1", ["alpha"] = "2" });

        // 55 bytes of JSON, padded with one space to 56.
        byte[] expected = [56, 0, 0, 0, 0, 0, 0, 0, .. Encoding.ASCII.GetBytes("{\"__metadata__\":{\"alpha\":\"2\",\"format\":\"pt\",\"zeta\":\"1\"}} ")];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void UserMetadataMayReplaceTheFormat()
    {
        string path = _folder.File("format.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["format"] = "custom" });

        byte[] expected = [40, 0, 0, 0, 0, 0, 0, 0, .. Encoding.ASCII.GetBytes("{\"__metadata__\":{\"format\":\"custom\"}}    ")];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void NoTensorsWritesOnlyTheMetadataWithoutPadding()
    {
        string path = _folder.File("none.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>());

        byte[] expected = [32, 0, 0, 0, 0, 0, 0, 0, .. Encoding.ASCII.GetBytes("{\"__metadata__\":{\"format\":\"pt\"}}")];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void HeaderIsPaddedWithSpacesToAMultipleOfEight(int nameLength)
    {
        using Tensor t = torch.ones(1, ScalarType.Float64);
        string path = _folder.File("pad.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [new string('n', nameLength)] = t });

        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        string json = header.TrimEnd(' ');
        Assert.Equal(0, headerLength % 8);
        Assert.EndsWith("}", json);
        Assert.InRange(headerLength - json.Length, 0, 7);
        Assert.Equal(8 + headerLength + 8, bytes.Length);
    }

    [Fact]
    public void SavingOverAnExistingFileReplacesItWhole()
    {
        string path = _folder.File("model.safetensors");
        using Tensor large = torch.ones(100);
        using Tensor small = torch.zeros(2);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["large"] = large });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["small"] = small });

        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(new[] { "small" }, file.Keys);
        Assert.Equal(file.DataRegionStart + 8, new FileInfo(path).Length);
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void SaveThatFailsWhileWritingLeavesTheExistingFileUntouched()
    {
        string path = _folder.File("model.safetensors");
        using Tensor original = torch.ones(4);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = original });
        byte[] before = File.ReadAllBytes(path);

        // A meta tensor has a dtype and a shape but no data, so it passes the up-front checks and fails mid-write.
        using Tensor first = torch.ones(8, ScalarType.Float64);
        using Tensor dataless = torch.empty([4], ScalarType.Float32, device: torch.META);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["first"] = first, ["dataless"] = dataless }));

        Assert.Contains("'dataless'", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void UnsupportedElementTypeIsRejectedByTensorNameBeforeAnythingIsWritten()
    {
        string path = _folder.File("complex.safetensors");
        using Tensor fine = torch.ones(2);
        using Tensor complex = torch.ones(2, ScalarType.ComplexFloat32);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["fine"] = fine, ["phase"] = complex }));

        Assert.Contains("Tensor 'phase' has element type ComplexFloat32", error.Message);
        Assert.Contains("Float32", error.Message);
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void SparseTensorIsRejectedByName()
    {
        using Tensor dense = torch.eye(3);
        using Tensor sparse = dense.to_sparse();
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(_folder.File("sparse.safetensors"), new Dictionary<string, Tensor> { ["adjacency"] = sparse }));
        Assert.Contains("Tensor 'adjacency' is sparse", error.Message);
    }

    [Fact]
    public void DisposedTensorIsRejectedByName()
    {
        Tensor gone = torch.ones(2);
        gone.Dispose();
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(_folder.File("gone.safetensors"), new Dictionary<string, Tensor> { ["gone"] = gone }));
        Assert.Contains("Tensor 'gone' has been disposed", error.Message);
    }

    [Fact]
    public void TensorNamedLikeTheMetadataKeyIsRejected()
    {
        using Tensor t = torch.ones(1);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(_folder.File("m.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = t }));
        Assert.Contains("'__metadata__'", error.Message);
    }

    [Fact]
    public void NameWithALoneSurrogateIsRejected()
    {
        using Tensor t = torch.ones(1);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(_folder.File("s.safetensors"), new Dictionary<string, Tensor> { ["bad\uD800"] = t }));
        Assert.Contains("lone surrogate", error.Message);
    }

    [Fact]
    public void MissingFolderIsReportedByName()
    {
        string folder = Path.Combine(_folder.Path, "absent");
        using Tensor t = torch.ones(1);
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            SafeTensors.Save(Path.Combine(folder, "x.safetensors"), new Dictionary<string, Tensor> { ["t"] = t }));
        Assert.Contains(folder, error.Message);
    }
}
