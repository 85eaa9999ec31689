using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels.Support;

/// <summary>Element-wise comparisons with the largest difference in the failure message.</summary>
internal static class TensorAssert
{
    /// <summary>|expected − actual| ≤ tolerance + relative·|expected| everywhere.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance = 1e-5, double relative = 0)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        Tensor e = expected.detach().to(ScalarType.Float64);
        Tensor difference = (e - actual.detach().to(ScalarType.Float64)).abs();
        double excess = (difference - e.abs() * relative).max().item<double>();
        double max = difference.max().item<double>();
        Assert.True(excess <= tolerance, $"Tensors differ by up to {max:G4} (tolerance {tolerance:G4} + {relative:G4}·|expected|).");
    }

    /// <summary>|expected − actual| ≤ relative · max|expected| everywhere: float32 error of a computation at that scale.</summary>
    public static void CloseAtScale(Tensor expected, Tensor actual, double relative = 1e-5) =>
        Close(expected, actual, relative * Math.Max(1, MaxAbs(expected)));

    public static void NotClose(Tensor expected, Tensor actual, double atLeast = 1e-3)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var difference = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max();
        double max = difference.item<double>();
        Assert.True(max >= atLeast, $"Tensors should differ (by at least {atLeast:G4}) but differ by only {max:G4}.");
    }

    public static double MaxAbs(Tensor tensor)
    {
        using var max = tensor.abs().max();
        return max.to(ScalarType.Float64).item<double>();
    }
}
