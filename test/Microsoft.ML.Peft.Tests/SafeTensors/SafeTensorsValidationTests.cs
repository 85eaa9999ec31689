using System.Text;
using Microsoft.ML.Peft.Checkpoints;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>
/// One test per rule of the safetensors format: each builds a malformed file by hand and checks that opening it fails
/// with <see cref="SafeTensorsFormatException"/> naming the file and the rule.
/// </summary>
public sealed class SafeTensorsValidationTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FileShorterThanEightBytesIsRejected()
    {
        string path = HandBuiltSafeTensors.WriteBytes(_folder, [1, 0, 0, 0, 0]);
        AssertRejected(path, SafeTensorsViolation.FileTooShort, "5 bytes", "8-byte");
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        string path = HandBuiltSafeTensors.WriteBytes(_folder, []);
        AssertRejected(path, SafeTensorsViolation.FileTooShort, "0 bytes");
    }

    [Fact]
    public void HeaderClaimingMoreThanTheLimitIsRejectedWithoutAllocatingIt()
    {
        string path = HandBuiltSafeTensors.WriteBytes(_folder, HandBuiltSafeTensors.Bytes(200_000_000, Encoding.UTF8.GetBytes("{}"), []));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(SafeTensorsViolation.HeaderTooLarge, error.Violation);
        Assert.Contains("200000000", error.Message);
        Assert.Contains("100000000-byte limit", error.Message);
        Assert.True(allocated < 1_000_000, $"Rejecting the header allocated {allocated} bytes.");
    }

    [Fact]
    public void HeaderLengthNearULongMaxIsRejectedAsTooLarge()
    {
        string path = HandBuiltSafeTensors.WriteBytes(_folder, HandBuiltSafeTensors.Bytes(ulong.MaxValue, Encoding.UTF8.GetBytes("{}"), []));
        AssertRejected(path, SafeTensorsViolation.HeaderTooLarge, ulong.MaxValue.ToString());
    }

    [Fact]
    public void HeaderLongerThanTheFileIsRejected()
    {
        string path = HandBuiltSafeTensors.WriteBytes(_folder, HandBuiltSafeTensors.Bytes(1000, Encoding.UTF8.GetBytes("{}        "), []));
        AssertRejected(path, SafeTensorsViolation.HeaderLongerThanFile, "1000 bytes", "only 10 bytes");
    }

    [Fact]
    public void HeaderThatIsNotUtf8IsRejected()
    {
        byte[] header = [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' '];
        string path = HandBuiltSafeTensors.WriteBytes(_folder, HandBuiltSafeTensors.Bytes(header, []));
        AssertRejected(path, SafeTensorsViolation.HeaderNotUtf8, "UTF-8", "offset 2");
    }

    [Theory]
    [InlineData("[1,2,3]  ")]
    [InlineData(" {}     ")]
    [InlineData("\"text\"")]
    public void HeaderNotStartingWithBraceIsRejected(string header)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header);
        AssertRejected(path, SafeTensorsViolation.HeaderNotJsonObject, "must be a JSON object starting with '{'");
    }

    [Fact]
    public void EmptyHeaderIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "");
        AssertRejected(path, SafeTensorsViolation.HeaderNotJsonObject, "header is empty");
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{} x")]
    [InlineData("{}{}")]
    [InlineData("{/* comment */}")]
    [InlineData("{\"__metadata__\":{\"a\":\"b\",}}")]
    [InlineData("{\"t\":{\"dtype\":'F32'}}")]
    public void HeaderThatIsNotValidJsonIsRejected(string header)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header);
        AssertRejected(path, SafeTensorsViolation.InvalidJson, "not valid JSON");
    }

    [Fact]
    public void EscapedLoneSurrogateInAKeyIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"\\ud800\":{}}");
        AssertRejected(path, SafeTensorsViolation.InvalidJson, "invalid JSON string");
    }

    [Fact]
    public void DuplicateTensorNameIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            new byte[8]);
        AssertRejected(path, SafeTensorsViolation.DuplicateKey, "'w' more than once");
    }

    [Fact]
    public void DuplicateKeyWrittenWithEscapesIsStillADuplicate()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"\\u0077\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            new byte[8]);
        AssertRejected(path, SafeTensorsViolation.DuplicateKey, "'w' more than once");
    }

    [Fact]
    public void DuplicateFieldInATensorEntryIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertRejected(path, SafeTensorsViolation.DuplicateKey, "tensor 'w' names 'dtype' more than once");
    }

    [Fact]
    public void DuplicateMetadataKeyIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"__metadata__\":{\"format\":\"pt\",\"format\":\"tf\"}}");
        AssertRejected(path, SafeTensorsViolation.DuplicateKey, "'__metadata__' names 'format' more than once");
    }

    [Fact]
    public void DuplicateMetadataSectionIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"__metadata__\":{},\"__metadata__\":{}}");
        AssertRejected(path, SafeTensorsViolation.DuplicateKey, "'__metadata__' more than once");
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"epochs\":3}}", "value of 'epochs' is a number")]
    [InlineData("{\"__metadata__\":{\"nested\":{\"a\":\"b\"}}}", "value of 'nested' is an object")]
    [InlineData("{\"__metadata__\":{\"flag\":null}}", "value of 'flag' is null")]
    [InlineData("{\"__metadata__\":[\"format\",\"pt\"]}", "'__metadata__' is an array")]
    [InlineData("{\"__metadata__\":\"pt\"}", "'__metadata__' is a string")]
    public void MetadataThatIsNotAnObjectOfStringsIsRejected(string header, string expected)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header);
        AssertRejected(path, SafeTensorsViolation.InvalidMetadata, expected);
    }

    [Theory]
    [InlineData("{\"w\":5}", "described by a number")]
    [InlineData("{\"w\":[\"F32\",[1],[0,4]]}", "described by an array")]
    public void TensorEntryThatIsNotTheExpectedObjectIsRejected(string header, string expected)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header, new byte[4]);
        AssertRejected(path, SafeTensorsViolation.InvalidTensorEntry, "tensor 'w'", expected);
    }

    // The reference reader (serde, no deny_unknown_fields) ignores members it does not know, so files that tools annotate still open.
    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}")]
    [InlineData("{\"w\":{\"note\":{\"a\":[1,{\"b\":null}]},\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"x\":\"a\",\"shape\":[1],\"x\":[true],\"data_offsets\":[0,4]}}")]
    public void UnknownFieldsOfATensorEntryAreIgnored(string header)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header, HandBuiltSafeTensors.Floats(2.5f));

        using SafeTensorsFile file = SafeTensors.Open(path);

        Assert.Equal(["w"], file.Keys);
        Assert.Equal([1L], file.GetShape("w"));
        using TorchSharp.torch.Tensor w = file.Read("w");
        Assert.Equal(2.5f, w.item<float>());
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"dtype\":\"F32\"}}", "'dtype' more than once")]
    [InlineData("{\"w\":{\"extra\":1,\"shape\":[1],\"data_offsets\":[0,4]}}", "has no 'dtype' field")]
    public void UnknownFieldsDoNotExcuseRequiredFields(string header, string expected)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header, new byte[4]);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(path).Dispose());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IllTypedRequiredFieldNextToAnUnknownOneIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"extra\":\"x\",\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertRejected(path, SafeTensorsViolation.InvalidFieldType, "tensor 'w' has a dtype that is a number");
    }

    [Theory]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets")]
    public void TensorEntryMissingAFieldIsRejected(string header, string field)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header, new byte[4]);
        AssertRejected(path, SafeTensorsViolation.MissingField, $"tensor 'w' has no '{field}' field");
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype that is a number")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"[1]\",\"data_offsets\":[0,4]}}", "shape that is a string")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "1.5 in its shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", "1e0 in its shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[[1]],\"data_offsets\":[0,4]}}", "shape holding an array")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", "shape holding a string")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", "99999999999999999999 in its shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", "1 data_offsets")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,2,4]}}", "3 data_offsets")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"begin\":0,\"end\":4}}}", "data_offsets that is an object")]
    public void TensorFieldOfTheWrongTypeIsRejected(string header, string expected)
    {
        string path = HandBuiltSafeTensors.Write(_folder, header, new byte[4]);
        AssertRejected(path, SafeTensorsViolation.InvalidFieldType, "tensor 'w'", expected);
    }

    [Theory]
    [InlineData("F33")]
    [InlineData("f32")]
    [InlineData("float32")]
    [InlineData("")]
    public void UnknownDTypeIsRejected(string dtype)
    {
        string path = HandBuiltSafeTensors.Write(_folder, $"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", new byte[4]);
        AssertRejected(path, SafeTensorsViolation.UnknownDType, $"dtype '{dtype}'", "not a safetensors dtype", "F32");
    }

    [Theory]
    [InlineData("U16")]
    [InlineData("U64")]
    [InlineData("F8_E4M3")]
    public void SafeTensorsDTypeWithoutATorchSharpTypeIsRejected(string dtype)
    {
        string path = HandBuiltSafeTensors.Write(_folder, $"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[0,8]}}}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.UnsupportedDType, $"dtype '{dtype}'", "TorchSharp has no element type");
    }

    [Fact]
    public void NegativeDimensionIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}");
        AssertRejected(path, SafeTensorsViolation.NegativeDimension, "tensor 'w' has a negative dimension, -1");
    }

    [Fact]
    public void ElementCountOverflowIsRejected()
    {
        // 2^62 * 4 elements overflows a signed 64-bit count.
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"U8\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}");
        AssertRejected(path, SafeTensorsViolation.ShapeOverflow, "tensor 'w'", "overflows a 64-bit integer");
    }

    [Fact]
    public void ByteSizeOverflowIsRejected()
    {
        // 2^62 elements fit in a count, but 2^62 F32 elements are 2^64 bytes.
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}");
        AssertRejected(path, SafeTensorsViolation.ShapeOverflow, "tensor 'w'", "overflows a 64-bit integer");
    }

    [Fact]
    public void OffsetsThatBeginAfterTheyEndAreRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.InvalidOffsets, "data_offsets [8, 4]", "begin after they end");
    }

    [Fact]
    public void NegativeOffsetIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[4]);
        AssertRejected(path, SafeTensorsViolation.InvalidOffsets, "negative offset, -4");
    }

    [Fact]
    public void OffsetsPastTheEndOfTheDataAreRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.OffsetsOutOfBounds, "data_offsets [0, 16]", "holds 8 bytes");
    }

    [Fact]
    public void HugeOffsetsAreRejectedAsOutOfBounds()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"w\":{\"dtype\":\"U8\",\"shape\":[9223372036854775807],\"data_offsets\":[0,9223372036854775807]}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.OffsetsOutOfBounds, "tensor 'w'");
    }

    [Fact]
    public void ByteSizeThatDiffersFromTheShapeIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertRejected(path, SafeTensorsViolation.ByteSizeMismatch, "tensor 'w' (F32 [2]) needs 8 bytes", "span 4");
    }

    [Fact]
    public void OverlappingTensorsAreRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            new byte[12]);
        AssertRejected(path, SafeTensorsViolation.OverlappingTensors, "'a' (bytes 0..8)", "'b' (bytes 4..12) overlap");
    }

    [Fact]
    public void IdenticalRangesCountAsOverlapping()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            new byte[4]);
        AssertRejected(path, SafeTensorsViolation.OverlappingTensors, "overlap");
    }

    [Fact]
    public void GapBeforeTheFirstTensorIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.DataGap, "bytes 0..4 before the first tensor");
    }

    [Fact]
    public void GapBetweenTensorsIsRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            new byte[12]);
        AssertRejected(path, SafeTensorsViolation.DataGap, "bytes 4..8 between 'a' and 'b'");
    }

    [Fact]
    public void BytesAfterTheLastTensorAreRejected()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]);
        AssertRejected(path, SafeTensorsViolation.TrailingBytes, "4 bytes after the last tensor");
    }

    [Fact]
    public void DataWithoutAnyTensorIsRejectedAsTrailing()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{}      ", new byte[3]);
        AssertRejected(path, SafeTensorsViolation.TrailingBytes, "3 bytes after");
    }

    [Fact]
    public void BoolTensorHoldingAByteOtherThanZeroOrOneIsRejectedOnRead()
    {
        string path = HandBuiltSafeTensors.Write(_folder, "{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", [1, 0, 2]);
        using SafeTensorsFile file = SafeTensors.Open(path);
        var error = Assert.Throws<SafeTensorsFormatException>(() => file.Read("mask"));
        Assert.Equal(SafeTensorsViolation.InvalidBoolValue, error.Violation);
        Assert.Contains("BOOL tensor 'mask' holds byte 2 at element 2", error.Message);
    }

    [Fact]
    public void MissingFileIsReportedByName()
    {
        string path = _folder.File("absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafeTensors.Open(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    private static void AssertRejected(string path, SafeTensorsViolation violation, params string[] expectedInMessage)
    {
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(path).Dispose());
        Assert.Equal(violation, error.Violation);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains($"rule {violation}", error.Message);
        foreach (string expected in expectedInMessage)
        {
            Assert.Contains(expected, error.Message);
        }
    }
}
