using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// A SHA-256 over a data set's rows and labels, written into checkpoints so that resuming with other data (another
/// cross-validation fold of the same size, say) is refused instead of silently continuing the wrong run.
/// </summary>
internal sealed class ContentFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public ContentFingerprint(string kind)
    {
        Add(kind);
    }

    public ContentFingerprint Add(int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(bytes, value);
        _hash.AppendData(bytes);
        return this;
    }

    /// <summary>Adds the values with their count, so that consecutive lists cannot run into each other.</summary>
    public ContentFingerprint Add<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        Add(values.Length);
        _hash.AppendData(MemoryMarshal.AsBytes(values));
        return this;
    }

    public ContentFingerprint Add(string text) => Add<byte>(Encoding.UTF8.GetBytes(text));

    public ContentFingerprint Add(TrainingLabels labels)
    {
        Add(labels.ClassCount ?? -1);
        return labels.Classes is { } classes ? Add<int>(classes) : Add<float>(labels.Targets!);
    }

    /// <summary>The digest as lowercase hex.</summary>
    public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
