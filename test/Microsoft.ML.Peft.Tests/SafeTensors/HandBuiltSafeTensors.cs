using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary>
/// Builds safetensors files byte by byte, independently of the library's writer, so that tests can hand the
/// reader exactly the (often malformed) bytes they mean.
/// </summary>
internal static class HandBuiltSafeTensors
{
    /// <summary>The 8-byte little-endian length of <paramref name="header"/>, the header itself, then <paramref name="data"/>.</summary>
    public static byte[] Bytes(byte[] header, byte[] data) => Bytes((ulong)header.Length, header, data);

    /// <summary>A length prefix of <paramref name="claimedHeaderLength"/> (true or not), then <paramref name="header"/> and <paramref name="data"/>.</summary>
    public static byte[] Bytes(ulong claimedHeaderLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedHeaderLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Writes a file whose header is <paramref name="headerJson"/> (UTF-8, unpadded) followed by <paramref name="data"/>.</summary>
    public static string Write(TemporaryFolder folder, string headerJson, byte[]? data = null, string name = "hand.safetensors") =>
        WriteBytes(folder, Bytes(Encoding.UTF8.GetBytes(headerJson), data ?? []), name);

    public static string WriteBytes(TemporaryFolder folder, byte[] bytes, string name = "hand.safetensors")
    {
        string path = folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Little-endian bytes of <paramref name="values"/>.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }
}
