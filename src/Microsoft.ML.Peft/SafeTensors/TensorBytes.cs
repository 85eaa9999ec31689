using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// Copies raw bytes between native memory and contiguous CPU tensors. TorchSharp exposes a tensor's bytes as a
/// <see cref="Span{T}"/>, which cannot exceed 2 GiB, so large tensors are copied in slices of at most 1 GiB.
/// </summary>
internal static unsafe class TensorBytes
{
    private const long MaxSliceBytes = 1L << 30;

    /// <summary>Fills the contiguous CPU tensor <paramref name="destination"/> from <paramref name="source"/>, which holds exactly its bytes.</summary>
    public static void CopyInto(torch.Tensor destination, byte* source, long byteLength)
    {
        if (byteLength == 0)
        {
            return;
        }

        if (byteLength <= MaxSliceBytes)
        {
            new ReadOnlySpan<byte>(source, (int)byteLength).CopyTo(destination.bytes);
            return;
        }

        ForEachSlice(destination, (slice, offset, length) => new ReadOnlySpan<byte>(source + offset, length).CopyTo(slice.bytes));
    }

    /// <summary>Writes the bytes of the contiguous CPU tensor <paramref name="tensor"/> to <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, torch.Tensor tensor, long byteLength)
    {
        if (byteLength == 0)
        {
            return;
        }

        if (byteLength <= MaxSliceBytes)
        {
            stream.Write(tensor.bytes);
            return;
        }

        ForEachSlice(tensor, (slice, _, _) => stream.Write(slice.bytes));
    }

    private static void ForEachSlice(torch.Tensor tensor, Action<torch.Tensor, long, int> action)
    {
        long elementSize = tensor.ElementSize;
        long elementsPerSlice = MaxSliceBytes / elementSize;
        using torch.Tensor flat = tensor.view(-1);
        long elementCount = flat.shape[0];
        for (long start = 0; start < elementCount; start += elementsPerSlice)
        {
            long count = Math.Min(elementsPerSlice, elementCount - start);
            using torch.Tensor slice = flat.narrow(0, start, count);
            action(slice, start * elementSize, checked((int)(count * elementSize)));
        }
    }
}
