using Microsoft.ML.Peft.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

public class GradientClippingTests
{
    [Fact]
    public void ScalesAllGradientsByTheGlobalNorm()
    {
        using var a = new Parameter(zeros(2));
        using var b = new Parameter(zeros(1));
        SetGradient(a, [3, 4]);
        SetGradient(b, [12]);
        double norm = GradientClipping.ClipByGlobalNorm([a, b], maxNorm: 1.0);
        Assert.Equal(13.0, norm, 5);
        double factor = 1.0 / (13.0 + 1e-6);
        Assert.Equal(new[] { 3 * factor, 4 * factor }, a.grad!.data<float>().ToArray().Select(v => (double)v), new Tolerance(1e-7));
        Assert.Equal(12 * factor, b.grad!.data<float>()[0], 6);
    }

    [Fact]
    public void LeavesGradientsBelowTheLimitAlone()
    {
        using var a = new Parameter(zeros(2));
        SetGradient(a, [3, 4]);
        Assert.Equal(5.0, GradientClipping.ClipByGlobalNorm([a], maxNorm: 5.5), 5);
        Assert.Equal([3f, 4f], a.grad!.data<float>().ToArray());
    }

    [Fact]
    public void IgnoresParametersWithoutGradients()
    {
        using var a = new Parameter(zeros(2));
        using var none = new Parameter(zeros(3));
        Assert.Equal(0.0, GradientClipping.ClipByGlobalNorm([none], 1.0));
        SetGradient(a, [0.6, 0.8]);
        Assert.Equal(1.0, GradientClipping.ClipByGlobalNorm([a, none], 2.0), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm([a], 0));
    }

    private static void SetGradient(Parameter parameter, double[] gradient)
    {
        using Tensor g = tensor(gradient.Select(v => (float)v).ToArray());
        using Tensor loss = (parameter * g).sum();
        loss.backward();
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
