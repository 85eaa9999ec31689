using TorchSharp;

namespace Microsoft.ML.Peft.Tests;

/// <summary>TorchSharp's native library loads on this host (after the GLIBCXX patch) and computes.</summary>
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void TensorOperationRuns()
    {
        using var a = torch.arange(6, torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var product = torch.matmul(a, b);
        Assert.Equal(new[] { 3f, 3f, 12f, 12f }, product.data<float>().ToArray());
    }
}
