using Microsoft.ML.Peft.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Draws dropout keep-masks on the CPU in parallel. libtorch's CPU <c>bernoulli_</c> runs on one thread and costs about
/// 25 ms per million elements here, which made dropout a quarter of a BERT-base training step; this fills the mask from
/// SplitMix64 streams, one per 64K-element chunk, on all cores.
/// </summary>
/// <remarks>
/// The stream of each chunk depends only on a seed drawn from torch's default generator and the chunk's index, so the
/// masks follow <c>torch.manual_seed</c> (a resumed run draws the same ones) and do not depend on the thread count.
/// An element is dropped when a 32-bit uniform draw falls below round(p·2³²): the drop probability is p within 2⁻³².
/// </remarks>
internal static class DropoutMask
{
    private const int ChunkElements = 1 << 16;

    /// <summary>A new <c>bool</c> tensor of <paramref name="shape"/> on the CPU: true keeps an element.</summary>
    public static Tensor DrawKeepMask(long[] shape, double dropProbability)
    {
        if (dropProbability is < 0 or >= 1 || double.IsNaN(dropProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(dropProbability), dropProbability, "A dropout probability must be in [0, 1).");
        }

        ulong seed = DrawSeedFromTorchGenerator();
        Tensor mask = empty(shape, ScalarType.Bool);
        long elements = mask.numel();
        if (elements > int.MaxValue)
        {
            mask.Dispose();
            throw new ArgumentException($"A dropout mask of {elements} elements is larger than this CPU path supports ({int.MaxValue}).", nameof(shape));
        }

        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(dropProbability * 4294967296.0));
        Fill(mask, (int)elements, seed, threshold);
        return mask;
    }

    private static ulong DrawSeedFromTorchGenerator()
    {
        using Tensor draw = randint(0, long.MaxValue, [1], ScalarType.Int64);
        return unchecked((ulong)draw.item<long>());
    }

    private static unsafe void Fill(Tensor mask, int elements, ulong seed, uint threshold)
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
                var random = new SeededRandom(SeededRandom.Derive(unchecked((long)seed), RandomStream.DropoutMask, chunk));
                int i = begin;
                for (; i + 1 < end; i += 2)
                {
                    ulong bits = random.NextUInt64();
                    data[i] = (uint)bits >= threshold ? (byte)1 : (byte)0;
                    data[i + 1] = (uint)(bits >> 32) >= threshold ? (byte)1 : (byte)0;
                }

                if (i < end)
                {
                    data[i] = (uint)random.NextUInt64() >= threshold ? (byte)1 : (byte)0;
                }
            });
        }
    }
}
