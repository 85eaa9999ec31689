using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>The TorchSharp ResNet against <see cref="ReferenceResNet"/>, a loop-by-loop double-precision implementation.</summary>
public sealed class ResNetReferenceTests
{
    // 40×40 keeps every stage above 1×1 (20, 10, 10, 5, 3, 2), so padding, odd sizes and the average pool all matter.
    private static readonly long[] InputShape = [2, 3, 40, 40];

    public static TheoryData<string> Architectures => new() { "basic", "bottleneck", "grouped-bottleneck" };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void EvalLogitsMatchReference(string architecture)
    {
        using var model = Build(architecture);
        model.eval();
        var reference = new ReferenceResNet(ResNetTestWeights.ToReference(model), IsBottleneck(model), [.. model.Config.BlocksPerStage], model.Config.Groups);
        float[] input = ResNetTestWeights.Input(InputShape, seed: 11);

        double[,] expected = reference.Forward(ToActivation(input), training: false);
        double[] actual = Logits(model, input);

        AssertClose(expected, actual, relative: 1e-4, absolute: 1e-4);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TrainLogitsAndRunningStatsMatchReference(string architecture)
    {
        using var model = Build(architecture);
        model.train();
        Dictionary<string, ReferenceTensor> before = ResNetTestWeights.ToReference(model);
        var reference = new ReferenceResNet(before, IsBottleneck(model), [.. model.Config.BlocksPerStage], model.Config.Groups);
        float[] input = ResNetTestWeights.Input(InputShape, seed: 12);

        double[,] expected = reference.Forward(ToActivation(input), training: true);
        double[] actual = Logits(model, input);

        AssertClose(expected, actual, relative: 1e-3, absolute: 1e-3);

        Dictionary<string, Tensor> state = model.state_dict();
        int norms = state.Keys.Count(k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        Assert.Equal(norms, reference.UpdatedRunningStats.Count);
        foreach (var (name, (mean, variance)) in reference.UpdatedRunningStats)
        {
            AssertStatsClose(name + ".running_mean", mean, ResNetTestWeights.ToDoubles(state[name + ".running_mean"]));
            AssertStatsClose(name + ".running_var", variance, ResNetTestWeights.ToDoubles(state[name + ".running_var"]));
            Assert.Equal(4L, state[name + ".num_batches_tracked"].item<long>());
        }
    }

    [Fact]
    public void TrainAndEvalModesGiveDifferentLogits()
    {
        // Guards the two comparisons above: with these statistics the modes differ far beyond their tolerances.
        using var model = Build("basic");
        float[] input = ResNetTestWeights.Input(InputShape, seed: 13);
        model.eval();
        double[] eval = Logits(model, input);
        model.train();
        double[] train = Logits(model, input);

        double largest = eval.Max(Math.Abs);
        double difference = eval.Zip(train, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(difference > 1e-2 * largest + 1e-2, $"Train and eval logits differ by only {difference} (max |logit| {largest}).");
    }

    internal static ResNetModel Build(string architecture)
    {
        ResNetConfig config = architecture switch
        {
            "basic" => new ResNetConfig { StemWidth = 4, StageWidths = [4, 8, 8, 8], BlocksPerStage = [2, 1, 1, 1], NumClasses = 5 },
            "bottleneck" => new ResNetConfig
            {
                BlockType = ResNetBlockType.Bottleneck, StemWidth = 4, StageWidths = [4, 8, 8, 8], BlocksPerStage = [2, 1, 1, 1], NumClasses = 5,
            },
            "grouped-bottleneck" => new ResNetConfig
            {
                BlockType = ResNetBlockType.Bottleneck, StemWidth = 4, StageWidths = [4, 8, 8, 8], BlocksPerStage = [1, 2, 1, 1], NumClasses = 5,
                Groups = 2, WidthPerGroup = 32,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, null),
        };

        var model = new ResNetModel(config);
        ResNetTestWeights.Randomize(model, seed: architecture.Length);
        return model;
    }

    private static bool IsBottleneck(ResNetModel model) => model.Config.BlockType == ResNetBlockType.Bottleneck;

    private static double[] Logits(ResNetModel model, float[] input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor images = torch.tensor(input, InputShape);
        return ResNetTestWeights.ToDoubles(model.forward(images));
    }

    private static Activation ToActivation(float[] input)
    {
        var activation = new Activation((int)InputShape[0], (int)InputShape[1], (int)InputShape[2], (int)InputShape[3]);
        for (int i = 0; i < input.Length; i++)
        {
            activation.Values[i] = input[i];
        }

        return activation;
    }

    private static void AssertClose(double[,] expected, double[] actual, double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        double largest = expected.Cast<double>().Max(Math.Abs);
        double tolerance = relative * largest + absolute;
        int classes = expected.GetLength(1);
        for (int i = 0; i < actual.Length; i++)
        {
            double want = expected[i / classes, i % classes];
            Assert.True(
                Math.Abs(want - actual[i]) <= tolerance,
                $"Logit [{i / classes}, {i % classes}]: expected {want}, got {actual[i]} (tolerance {tolerance}).");
        }
    }

    private static void AssertStatsClose(string key, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 1e-4 * expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{key}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
        }
    }
}
