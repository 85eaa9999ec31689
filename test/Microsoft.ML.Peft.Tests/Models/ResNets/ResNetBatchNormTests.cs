using Microsoft.ML.Peft.Models.ResNets;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>The ResNet's own BatchNorm computes, counts and saves exactly as TorchSharp's BatchNorm2d with the same settings.</summary>
public sealed class ResNetBatchNormTests
{
    [Fact]
    public void TrainingAndEvaluationMatchTorchSharpsBatchNorm2dBitForBit()
    {
        using var ours = new ResNetBatchNorm(3, ResNetLayers.BatchNormEps, ResNetLayers.BatchNormMomentum);
        using var reference = nn.BatchNorm2d(3, eps: ResNetLayers.BatchNormEps, momentum: ResNetLayers.BatchNormMomentum);
        using (no_grad())
        {
            using var weight = tensor(new[] { 0.5f, 1.5f, -2f });
            using var bias = tensor(new[] { 0.1f, -0.2f, 0.3f });
            ours.weight!.copy_(weight);
            reference.weight!.copy_(weight);
            ours.bias!.copy_(bias);
            reference.bias!.copy_(bias);
        }

        Assert.Equal(reference.state_dict().Keys.Order(), ours.state_dict().Keys.Order());
        for (int step = 0; step < 3; step++)
        {
            using var input = randn(4, 3, 5, 5);
            using Tensor expected = reference.forward(input);
            using Tensor actual = ours.forward(input);
            Assert.True(expected.allclose(actual, rtol: 0, atol: 0), $"training step {step}: outputs differ");
        }

        Assert.Equal(3L, ours.num_batches_tracked!.item<long>());
        Assert.True(reference.running_mean!.allclose(ours.running_mean!, rtol: 0, atol: 0));
        Assert.True(reference.running_var!.allclose(ours.running_var!, rtol: 0, atol: 0));

        ours.eval();
        reference.eval();
        using var evalInput = randn(2, 3, 4, 4);
        using Tensor evalExpected = reference.forward(evalInput);
        using Tensor evalActual = ours.forward(evalInput);
        Assert.True(evalExpected.allclose(evalActual, rtol: 0, atol: 0), "eval outputs differ");
        Assert.Equal(3L, ours.num_batches_tracked!.item<long>());

        var error = Assert.Throws<ArgumentException>(() => ours.forward(zeros(2, 3)));
        Assert.Contains("4-D", error.Message);
    }
}
