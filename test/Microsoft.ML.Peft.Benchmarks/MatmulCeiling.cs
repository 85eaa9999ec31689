using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>The machine's own matrix-multiply rate, measured in the same run as the training figures it is compared to.</summary>
internal static class MatmulCeiling
{
    /// <summary>Median GFLOP/s of an n×n by n×n matmul in <paramref name="dtype"/> (2n³ floating-point operations each).</summary>
    public static double GigaFlops(ScalarType dtype, int n = 2048, int repeats = 7)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor a = randn(n, n).to(dtype);
        Tensor b = randn(n, n).to(dtype);
        double seconds = Measurement.MedianSeconds(
            () =>
            {
                using var inner = NewDisposeScope();
                matmul(a, b).sum().to(float32).item<float>(); // item() waits for the result
            },
            warmup: 2,
            repeats: repeats);
        return 2.0 * n * n * n / seconds / 1e9;
    }
}
