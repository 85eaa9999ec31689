using System.Numerics;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Draws dropout keep-masks on the CPU, vectorised and on all cores. libtorch's CPU <c>bernoulli_</c> runs on one
/// thread and costs about 25 ms per million elements here, which made dropout a quarter of a BERT-base training step.
/// </summary>
/// <remarks>
/// Element i's draw is a counter-based hash of i and a 64-bit seed (two rounds of MurmurHash3's 32-bit finaliser, the
/// seed's low half added before the first and its high half mixed in before the second), so the mask depends only on
/// the seed, never on the thread count or on how the work is split. The seed is drawn from torch's default generator,
/// so masks follow <c>torch.manual_seed</c> and a resumed run draws the same ones. An element is dropped when its 32-bit
/// draw falls below round(p·2³²): the drop probability is p within 2⁻³².
/// </remarks>
internal static class DropoutMask
{
    private const int ChunkElements = 1 << 16;
    private const uint Golden = 0x9E3779B9;

    /// <summary>A new <c>bool</c> tensor of <paramref name="shape"/> on the CPU: true keeps an element.</summary>
    public static Tensor DrawKeepMask(long[] shape, double dropProbability) => DrawKeepMask(shape, dropProbability, DrawSeedFromTorchGenerator());

    /// <summary>The keep-mask for an explicit <paramref name="seed"/>.</summary>
    internal static Tensor DrawKeepMask(long[] shape, double dropProbability, ulong seed)
    {
        RequireProbability(dropProbability, nameof(dropProbability));
        Tensor mask = empty(shape, ScalarType.Bool);
        long elements = mask.numel();
        if (elements > int.MaxValue)
        {
            mask.Dispose();
            throw new ArgumentException($"A dropout mask of {elements} elements is larger than this CPU path supports ({int.MaxValue}).", nameof(shape));
        }

        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(dropProbability * 4294967296.0));
        Fill(mask, (int)elements, (uint)seed, (uint)(seed >> 32), threshold);
        return mask;
    }

    /// <summary>Throws unless <paramref name="probability"/> is a dropout probability, in [0, 1).</summary>
    public static void RequireProbability(double probability, string parameterName)
    {
        if (probability is < 0 or >= 1 || double.IsNaN(probability))
        {
            throw new ArgumentOutOfRangeException(parameterName, probability, "A dropout probability must be in [0, 1).");
        }
    }

    /// <summary>Element <paramref name="index"/>'s 32-bit draw for the seed halves (the scalar form of the vector loop).</summary>
    internal static uint Draw(uint index, uint seedLow, uint seedHigh) => Finalize(Finalize((index * Golden) + seedLow) ^ seedHigh);

    /// <summary>A 64-bit mask seed drawn from torch's default generator (what <see cref="DrawKeepMask(long[], double)"/> uses).</summary>
    internal static ulong DrawSeedFromTorchGenerator()
    {
        using Tensor draw = randint(0, long.MaxValue, [1], ScalarType.Int64);
        return unchecked((ulong)draw.item<long>());
    }

    private static unsafe void Fill(Tensor mask, int elements, uint seedLow, uint seedHigh, uint threshold)
    {
        if (elements == 0)
        {
            return;
        }

        fixed (byte* start = mask.bytes)
        {
            byte* data = start;
            int chunks = (elements + ChunkElements - 1) / ChunkElements;
            Parallel.For(0, chunks, chunk =>
            {
                int begin = chunk * ChunkElements;
                int end = Math.Min(elements, begin + ChunkElements);
                FillRange(new Span<byte>(data + begin, end - begin), (uint)begin, seedLow, seedHigh, threshold);
            });
        }
    }

    private static void FillRange(Span<byte> keep, uint firstIndex, uint seedLow, uint seedHigh, uint threshold)
    {
        int i = 0;
        int width = Vector<uint>.Count;
        if (Vector.IsHardwareAccelerated && keep.Length >= 4 * width)
        {
            Span<uint> ramp = stackalloc uint[width];
            for (int lane = 0; lane < width; lane++)
            {
                ramp[lane] = (uint)lane;
            }

            var lanes = new Vector<uint>(ramp);
            var low = new Vector<uint>(seedLow);
            var high = new Vector<uint>(seedHigh);
            var limit = new Vector<uint>(threshold);
            var one = Vector<byte>.One;
            for (; i + (4 * width) <= keep.Length; i += 4 * width)
            {
                Vector<uint> Kept(int offset)
                {
                    Vector<uint> index = new Vector<uint>(firstIndex + (uint)(i + offset)) + lanes;
                    Vector<uint> draw = Finalize((Finalize((index * Golden) + low)) ^ high);
                    return Vector.GreaterThanOrEqual(draw, limit);
                }

                Vector<ushort> first = Vector.Narrow(Kept(0), Kept(width));
                Vector<ushort> second = Vector.Narrow(Kept(2 * width), Kept(3 * width));
                (Vector.Narrow(first, second) & one).CopyTo(keep[i..]);
            }
        }

        for (; i < keep.Length; i++)
        {
            keep[i] = Draw(firstIndex + (uint)i, seedLow, seedHigh) >= threshold ? (byte)1 : (byte)0;
        }
    }

    private static uint Finalize(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >> 16);
    }

    private static Vector<uint> Finalize(Vector<uint> h)
    {
        h ^= Vector.ShiftRightLogical(h, 16);
        h *= 0x85EBCA6B;
        h ^= Vector.ShiftRightLogical(h, 13);
        h *= 0xC2B2AE35;
        return h ^ Vector.ShiftRightLogical(h, 16);
    }
}
