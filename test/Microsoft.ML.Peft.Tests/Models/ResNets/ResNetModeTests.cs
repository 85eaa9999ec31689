using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>train()/eval() propagation and BatchNorm behaviour per mode, head replacement, gradients and input checks.</summary>
public sealed class ResNetModeTests
{
    private static readonly long[] InputShape = [2, 3, 24, 24];

    [Theory]
    [InlineData("basic")]
    [InlineData("bottleneck")]
    public void TrainAndEvalReachEverySubmodule(string architecture)
    {
        using ResNetModel model = ResNetReferenceTests.Build(architecture);
        var modules = model.modules().ToList();
        Assert.Contains(modules, m => m is TorchSharp.Modules.BatchNorm);
        Assert.True(model.training);
        Assert.All(modules, m => Assert.True(m.training, m.GetName()));

        model.eval();
        Assert.False(model.training);
        Assert.All(modules, m => Assert.False(m.training, m.GetName()));

        model.train();
        Assert.All(modules, m => Assert.True(m.training, m.GetName()));
    }

    [Fact]
    public void EvalForwardLeavesRunningStatsAloneAndTrainForwardUpdatesThem()
    {
        using ResNetModel model = ResNetReferenceTests.Build("bottleneck");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor images = torch.tensor(ResNetTestWeights.Input(InputShape, seed: 21), InputShape);
        Dictionary<string, Tensor> initial = Snapshot(model);

        model.eval();
        Tensor first = model.forward(images);
        Tensor second = model.forward(images);
        Assert.True(ResNetTestWeights.SameValues(first, second));
        foreach (var (key, value) in Snapshot(model))
        {
            Assert.True(ResNetTestWeights.SameValues(initial[key], value), $"{key} changed during an eval forward.");
        }

        model.train();
        model.forward(images);
        Dictionary<string, Tensor> afterTrain = Snapshot(model);
        foreach (var (key, value) in afterTrain)
        {
            bool changed = !ResNetTestWeights.SameValues(initial[key], value);
            Assert.True(changed, $"{key} did not change during a training forward.");
        }

        Assert.Equal(4L, afterTrain["layer1.0.downsample.1.num_batches_tracked"].item<long>());

        model.eval();
        Tensor afterSwitchBack = model.forward(images);
        Assert.False(afterSwitchBack.allclose(first), "Eval logits should use the updated running statistics.");
    }

    [Fact]
    public void ReplaceHeadKeepsTheBackboneAndTheKeyOrder()
    {
        using ResNetModel model = ResNetReferenceTests.Build("basic");
        model.eval();
        string[] keysBefore = model.state_dict().Keys.ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor images = torch.tensor(ResNetTestWeights.Input(InputShape, seed: 22), InputShape);
        Tensor featuresBefore = model.ForwardFeatures(images);

        var head = model.ReplaceHead(numClasses: 11);

        Assert.Same(head, model.Head);
        Assert.Equal(11, model.Config.NumClasses);
        Assert.Equal(keysBefore, model.state_dict().Keys.ToArray());
        Assert.Equal([11L, 8], model.state_dict()["fc.weight"].shape);
        Assert.False(head.training);
        Assert.Equal([2L, 11], model.forward(images).shape);
        Assert.True(ResNetTestWeights.SameValues(featuresBefore, model.ForwardFeatures(images)));
        Assert.Contains(model.parameters(), p => p.Handle == head.weight.Handle);
    }

    [Fact]
    public void GradientsReachTheStem()
    {
        using ResNetModel model = ResNetReferenceTests.Build("bottleneck");
        model.train();
        using var scope = NewDisposeScope();
        Tensor images = torch.tensor(ResNetTestWeights.Input(InputShape, seed: 23), InputShape);
        Tensor loss = model.forward(images).square().mean();
        loss.backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.True(parameter.grad is not null && parameter.grad.abs().sum().item<float>() > 0, $"{name} received no gradient.");
        }
    }

    [Fact]
    public void WrongInputChannelsAreReported()
    {
        using ResNetModel model = ResNetReferenceTests.Build("basic");
        using var images = torch.zeros(1, 4, 16, 16);
        var error = Assert.Throws<ArgumentException>(() => model.forward(images));
        Assert.Contains("[N, 3, H, W]", error.Message);
        Assert.Contains("[1, 4, 16, 16]", error.Message);
    }

    private static Dictionary<string, Tensor> Snapshot(ResNetModel model) =>
        model.state_dict()
            .Where(kv => kv.Key.Contains("running_") || kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.clone());
}
