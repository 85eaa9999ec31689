using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>The machine's own matrix-multiply rate, measured in the same run as the training figures it is compared to.</summary>
internal static class MatmulCeiling
{
    private const int ProbeSize = 512;

    /// <summary>The longest one timed matmul may take: where a dtype is emulated (bf16 without bf16 instructions runs
    /// at 0.3 GFLOP/s, so one 2048³ product takes a minute) the size shrinks to fit.</summary>
    private static readonly TimeSpan LongestProduct = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// Median GFLOP/s of an n×n by n×n matmul in <paramref name="dtype"/> (2n³ floating-point operations each), with
    /// n = <paramref name="n"/> unless a probe at 512³ shows one such product would take longer than half a second;
    /// then n is the largest multiple of 64 (at least 512) that fits.
    /// </summary>
    public static double GigaFlops(ScalarType dtype, int n = 2048, int repeats = 7)
    {
        using var noGrad = no_grad();
        double probe = Rate(dtype, ProbeSize, warmup: 1, repeats: 1);
        double fitting = Math.Cbrt(probe * 1e9 * LongestProduct.TotalSeconds / 2);
        int size = Math.Min(n, Math.Max(ProbeSize, (int)(fitting / 64) * 64));
        return Rate(dtype, size, warmup: 2, repeats: repeats);
    }

    private static double Rate(ScalarType dtype, int n, int warmup, int repeats)
    {
        using var scope = NewDisposeScope();
        Tensor a = randn(n, n).to(dtype);
        Tensor b = randn(n, n).to(dtype);
        double seconds = Measurement.MedianSeconds(
            () =>
            {
                using var inner = NewDisposeScope();
                matmul(a, b).sum().to(float32).item<float>(); // item() waits for the result
            },
            warmup,
            repeats);
        return 2.0 * n * n * n / seconds / 1e9;
    }
}
