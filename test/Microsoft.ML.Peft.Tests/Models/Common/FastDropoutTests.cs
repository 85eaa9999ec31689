using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using TorchSharp;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using Microsoft.ML.Peft.Tests.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Common;

/// <summary>The parallel CPU dropout: nn.Dropout's semantics, masks that follow torch.manual_seed, and BERT's use of it.</summary>
// Re-seeds torch's global generator and compares draws: no other class may draw from it meanwhile.
[Collection(TorchGlobalStateCollection.Name)]
public sealed class FastDropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void DropsTheRequestedFractionAndScalesTheRest(double p)
    {
        const int elements = 1 << 20; // 16 chunks of the mask generator
        using var scope = NewDisposeScope();
        manual_seed(3);
        Tensor x = ones(elements);
        Tensor y = FastDropout.Apply(x, p, training: true);

        double dropped = y.eq(0).sum().item<long>() / (double)elements;
        double sigma = Math.Sqrt(p * (1 - p) / elements);
        Assert.InRange(dropped, p - (6 * sigma), p + (6 * sigma));
        float kept = (float)(1.0 / (1.0 - p));
        Assert.Equal(elements, y.eq(0).logical_or(y.eq(kept)).sum().item<long>());
    }

    [Fact]
    public void MasksFollowTheTorchSeedAndDifferBetweenChunks()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        Tensor first = DropoutMask.DrawKeepMask([2, 1 << 16], 0.5);
        Tensor second = DropoutMask.DrawKeepMask([2, 1 << 16], 0.5);
        manual_seed(21);
        Tensor again = DropoutMask.DrawKeepMask([2, 1 << 16], 0.5);

        Assert.Equal(ScalarType.Bool, first.dtype);
        Assert.True(Same(first, again));
        Assert.False(Same(first, second));
        Assert.False(Same(first[0], first[1]), "rows of one mask are not repeats");
    }

    [Fact]
    public void EveryElementIsTheDocumentedHashOfItsIndex()
    {
        // An odd length leaves a tail after the vector loop in the last of several chunks.
        const int elements = (2 << 16) + 77;
        ulong seed = 0x0123456789ABCDEF;
        using Tensor mask = DropoutMask.DrawKeepMask([elements], 0.3, seed);
        byte[] actual = mask.bytes.ToArray();
        uint threshold = (uint)Math.Round(0.3 * 4294967296.0);
        for (int i = 0; i < elements; i++)
        {
            byte expected = DropoutMask.Draw((uint)i, (uint)seed, (uint)(seed >> 32)) >= threshold ? (byte)1 : (byte)0;
            Assert.True(expected == actual[i], $"element {i}: expected {expected}, drew {actual[i]}");
        }
    }

    [Fact]
    public void GradientIsTheScaledMask()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor x = randn(64, 33).requires_grad_();
        Tensor y = FastDropout.Apply(x, 0.25, training: true);
        y.sum().backward();

        Tensor expected = y.detach().ne(0).to(ScalarType.Float32).mul(1.0 / 0.75);
        Assert.True(x.grad!.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.True(y.detach().allclose(x.detach().mul(expected), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void InPlaceGivesTheSameValuesAndGradientsIntoItsInput()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        Tensor x = randn(64, 33).requires_grad_();
        Tensor weights = randn(64, 33);
        manual_seed(13);
        Tensor copied = FastDropout.Apply(x.mul(2), 0.3, training: true);
        copied.mul(weights).sum().backward();
        Tensor copiedGradient = x.grad!.clone();
        x.grad!.zero_();

        Tensor projected = x.mul(2); // mul keeps its inputs, not its output, as a Linear does
        manual_seed(13);
        Tensor inPlace = FastDropout.Apply(projected, 0.3, training: true, inPlace: true);
        inPlace.mul(weights).sum().backward();

        Assert.Equal(projected.Handle, inPlace.Handle);
        Assert.True(inPlace.eq(copied).all().item<bool>());
        Assert.True(x.grad!.eq(copiedGradient).all().item<bool>());
    }

    [Fact]
    public void InPlaceAfterAnOperationThatKeepsItsOutputFailsInBackwardInsteadOfComputingWrongGradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        Tensor x = randn(16, 8).requires_grad_();
        Tensor probabilities = x.softmax(-1); // softmax keeps its output for backward
        Tensor dropped = FastDropout.Apply(probabilities, 0.5, training: true, inPlace: true);

        var error = Assert.ThrowsAny<Exception>(() => dropped.sum().backward());
        Assert.Contains("inplace", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void IsTheIdentityOutsideTrainingOrWithoutProbability()
    {
        using var scope = NewDisposeScope();
        Tensor x = randn(8, 8);
        using var dropout = new FastDropout(0.5);
        dropout.eval();

        Assert.True(Same(dropout.call(x), x));
        Assert.True(Same(FastDropout.Apply(x, 0.0, training: true), x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastDropout(1.0));
    }

    [Fact]
    public void KeepsTheInputDTypeForBFloat16()
    {
        using var scope = NewDisposeScope();
        Tensor x = ones(1000, dtype: ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, FastDropout.Apply(x, 0.3, training: true).dtype);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void AttentionDropoutIsSoftmaxTimesTheSeededMask()
    {
        BertConfig config = TinyBert();
        config.AttentionProbsDropoutProb = 0.4;
        using var attention = new BertSelfAttention(config);
        Randomize(attention, seed: 4);
        attention.train();
        using var scope = NewDisposeScope();
        Tensor hidden = randn(2, 5, config.HiddenSize);
        Tensor additive = zeros(2, 1, 1, 5);
        additive[1, 0, 0, 4] = tensor(-1e4f);

        manual_seed(9);
        Tensor actual = attention.Forward(hidden, additive);

        // The same computation by hand, with the mask the same seed draws.
        long heads = config.NumAttentionHeads;
        long size = config.HiddenSize / heads;
        Tensor Heads(string name)
        {
            var linear = (TorchSharp.Modules.Linear)attention.named_children().Single(c => c.name == name).module;
            return linear.call(hidden).view(2, 5, heads, size).transpose(1, 2);
        }

        Tensor probabilities = Heads("query").matmul(Heads("key").transpose(-2, -1)).div(Math.Sqrt(size)).add(additive).softmax(-1);
        manual_seed(9);
        Tensor keep = DropoutMask.DrawKeepMask(probabilities.shape, 0.4);
        Tensor expected = probabilities.mul(keep).div(0.6).matmul(Heads("value")).transpose(1, 2).reshape(2, 5, config.HiddenSize);

        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5));
    }
}
