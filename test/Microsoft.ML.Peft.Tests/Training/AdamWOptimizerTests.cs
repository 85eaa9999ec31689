using Microsoft.ML.Peft.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

public class AdamWOptimizerTests
{
    private static readonly double[][] WeightGradients =
    [
        [0.5, -1.0, 0.25, 2.0, -0.75, 0.1],
        [-0.3, 0.8, 0.6, -1.5, 0.2, 0.05],
        [0.9, -0.2, -0.4, 1.1, 0.0, -0.6],
    ];

    private static readonly double[][] BiasGradients = [[1.0, -2.0, 0.5], [0.25, 0.5, -1.0], [-0.5, 1.5, 0.75]];

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.0)]
    public void StepsMatchPyTorchsAdamWFormula(double weightDecay)
    {
        double[] weightStart = [0.2, -0.4, 0.6, -0.8, 1.0, -1.2];
        double[] biasStart = [0.3, -0.1, 0.5];
        using var weight = new Parameter(tensor(weightStart.Select(v => (float)v).ToArray(), [2, 3]));
        using var bias = new Parameter(tensor(biasStart.Select(v => (float)v).ToArray()));
        var options = new AdamWOptions { WeightDecay = weightDecay };
        using var optimizer = new AdamWOptimizer([("dense.weight", weight), ("dense.bias", bias)], learningRate: 0.05, options);
        Assert.Equal(["dense.weight"], optimizer.DecayedParameterNames);
        Assert.Equal(["dense.bias"], optimizer.NonDecayedParameterNames);

        var expectedWeight = new ReferenceAdamW(weightStart, decays: true, 0.05, options);
        var expectedBias = new ReferenceAdamW(biasStart, decays: false, 0.05, options);
        for (int step = 0; step < 3; step++)
        {
            SetGradients(weight, WeightGradients[step]);
            SetGradients(bias, BiasGradients[step]);
            optimizer.Step();
            optimizer.ZeroGrad();
            expectedWeight.Step(WeightGradients[step]);
            expectedBias.Step(BiasGradients[step]);
        }

        AssertClose(expectedWeight.Values, weight);
        AssertClose(expectedBias.Values, bias);
        Assert.Equal(3, optimizer.StepCount);
        Assert.Null(weight.grad);
    }

    [Fact]
    public void FusedKernelComputesWhatTheTensorOperationsCompute()
    {
        // Several 64K chunks, a vector tail and a scalar tail; weight decay on the weight, none on the bias.
        const int elements = (3 << 16) + 21;
        var generator = new Generator(17);
        using var start = randn(elements, generator: generator);
        Tensor[] gradients = Enumerable.Range(0, 3).Select(_ => randn(elements, generator: generator).mul(0.1)).ToArray();
        float[] RunSteps(bool fused)
        {
            using var weight = new Parameter(start.clone());
            using var bias = new Parameter(start[..7].clone());
            using var optimizer = new AdamWOptimizer([("dense.weight", weight), ("dense.bias", bias)], 1e-3, new AdamWOptions { WeightDecay = 0.01 })
            {
                UseFusedKernel = fused,
            };
            foreach (Tensor gradient in gradients)
            {
                weight.grad = gradient.clone();
                bias.grad = gradient[..7].clone();
                optimizer.Step();
                optimizer.ZeroGrad();
            }

            return weight.data<float>().ToArray().Concat(bias.data<float>().ToArray()).ToArray();
        }

        float[] expected = RunSteps(fused: false);
        float[] actual = RunSteps(fused: true);
        Assert.NotEqual(start.data<float>().ToArray(), actual[..elements]);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: tensor path {expected[i]:R}, fused {actual[i]:R}");
        }

        foreach (Tensor gradient in gradients)
        {
            gradient.Dispose();
        }
    }

    [Fact]
    public void WeightDecayShrinksOnlyDecayedParameters()
    {
        // With zero gradients Adam's update is 0, so only the decoupled decay moves a parameter: p·(1 − lr·λ).
        using var weight = new Parameter(ones(2, 2));
        using var norm = new Parameter(ones(2));
        using var optimizer = new AdamWOptimizer([("layer.LayerNorm.weight", norm), ("layer.dense.weight", weight)], 0.1, new AdamWOptions { WeightDecay = 0.5 });
        SetGradients(weight, [0, 0, 0, 0]);
        SetGradients(norm, [0, 0]);
        optimizer.Step();
        Assert.All(weight.data<float>().ToArray(), v => Assert.Equal(0.95f, v, 6));
        Assert.All(norm.data<float>().ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void ParametersWithoutGradientsAreSkipped()
    {
        using var used = new Parameter(ones(2));
        using var unused = new Parameter(ones(2, 2));
        using var optimizer = new AdamWOptimizer([("used", used), ("unused.weight", unused)], 0.1);
        SetGradients(used, [1, -1]);
        optimizer.Step();
        Assert.Equal([1f, 1f, 1f, 1f], unused.data<float>().ToArray());
        Assert.NotEqual(1f, used.data<float>()[0]);
        using var state = new DisposableState(optimizer.GetState());
        Assert.Equal(["used.exp_avg", "used.exp_avg_sq", "used.step"], state.Tensors.Keys.Order());
    }

    [Fact]
    public void StateRoundTripContinuesIdentically()
    {
        using var original = new Parameter(tensor(new float[] { 0.5f, -0.5f, 1.5f, 2f }, [2, 2]));
        using var copy = new Parameter(original.detach().clone());
        using var first = new AdamWOptimizer([("w", original)], 0.01);
        for (int step = 0; step < 2; step++)
        {
            SetGradients(original, WeightGradients[step].Take(4).ToArray());
            first.Step();
            first.ZeroGrad();
        }

        using (no_grad())
        {
            copy.copy_(original);
        }

        using var second = new AdamWOptimizer([("w", copy)], 0.01);
        using (var state = new DisposableState(first.GetState()))
        {
            second.LoadState(state.Tensors);
        }

        Assert.Equal(2, second.StepCount);
        SetGradients(original, WeightGradients[2].Take(4).ToArray());
        SetGradients(copy, WeightGradients[2].Take(4).ToArray());
        first.Step();
        second.Step();
        Assert.Equal(original.data<float>().ToArray(), copy.data<float>().ToArray());
    }

    [Fact]
    public void LoadStateRejectsForeignOrMisshapenState()
    {
        using var weight = new Parameter(ones(2, 2));
        using var optimizer = new AdamWOptimizer([("w", weight)], 0.01);
        using var wrongShape = new DisposableState(new() { ["w.exp_avg"] = zeros(3), ["w.exp_avg_sq"] = zeros(3), ["w.step"] = tensor(1L) });
        Assert.Contains("shape [3]", Assert.Throws<InvalidDataException>(() => optimizer.LoadState(wrongShape.Tensors)).Message);
        using var foreign = new DisposableState(new() { ["other.exp_avg"] = zeros(2, 2) });
        Assert.Contains("'other.exp_avg'", Assert.Throws<InvalidDataException>(() => optimizer.LoadState(foreign.Tensors)).Message);
        using var partial = new DisposableState(new() { ["w.exp_avg"] = zeros(2, 2) });
        Assert.Contains("incomplete", Assert.Throws<InvalidDataException>(() => optimizer.LoadState(partial.Tensors)).Message);
    }

    [Fact]
    public void RejectsEmptyAndDuplicateParameterLists()
    {
        Assert.Throws<ArgumentException>(() => new AdamWOptimizer([], 0.1));
        using var weight = new Parameter(ones(2));
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new AdamWOptimizer([("w", weight), ("w", weight)], 0.1)).Message);
    }

    [Theory]
    [InlineData("bert.encoder.layer.0.attention.output.LayerNorm.weight", new long[] { 8 }, true)]
    [InlineData("bert.encoder.layer.0.attention.self.query.bias", new long[] { 8 }, true)]
    [InlineData("layer1.0.bn2.weight", new long[] { 8 }, true)]
    [InlineData("encoder.norm1.weight", new long[] { 8, 8 }, true)]
    [InlineData("classifier.weight", new long[] { 2, 8 }, false)]
    [InlineData("bert.embeddings.word_embeddings.weight", new long[] { 30, 8 }, false)]
    [InlineData("query.lora_A.weight", new long[] { 4, 8 }, false)]
    [InlineData("conv1.weight", new long[] { 8, 3, 3, 3 }, false)]
    [InlineData("bn_layer.scale", new long[] { 8, 8 }, false)]
    public void DefaultRuleExcludesBiasesAndNormWeights(string name, long[] shape, bool excluded)
    {
        using Tensor parameter = zeros(shape);
        Assert.Equal(excluded, WeightDecayRule.IsExcludedByDefault(name, parameter));
    }

    private static void SetGradients(Parameter parameter, double[] gradient)
    {
        // The gradient of sum(p · G) is exactly G.
        using Tensor g = tensor(gradient.Select(v => (float)v).ToArray(), parameter.shape);
        using Tensor loss = (parameter * g).sum();
        loss.backward();
    }

    private static void AssertClose(double[] expected, Tensor actual)
    {
        float[] values = actual.detach().reshape(-1).data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) < 1e-6, $"element {i}: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    /// <summary>PyTorch's AdamW update in double precision, written out from its documented algorithm.</summary>
    private sealed class ReferenceAdamW(double[] start, bool decays, double lr, AdamWOptions options)
    {
        private readonly double[] _m = new double[start.Length];
        private readonly double[] _v = new double[start.Length];
        private int _step;

        public double[] Values { get; } = start.ToArray();

        public void Step(double[] gradient)
        {
            _step++;
            for (int i = 0; i < Values.Length; i++)
            {
                if (decays)
                {
                    Values[i] *= 1 - (lr * options.WeightDecay);
                }

                _m[i] = (options.Beta1 * _m[i]) + ((1 - options.Beta1) * gradient[i]);
                _v[i] = (options.Beta2 * _v[i]) + ((1 - options.Beta2) * gradient[i] * gradient[i]);
                double mHat = _m[i] / (1 - Math.Pow(options.Beta1, _step));
                double vHat = _v[i] / (1 - Math.Pow(options.Beta2, _step));
                Values[i] -= lr * mHat / (Math.Sqrt(vHat) + options.Epsilon);
            }
        }
    }

    private sealed class DisposableState(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (Tensor tensor in Tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
