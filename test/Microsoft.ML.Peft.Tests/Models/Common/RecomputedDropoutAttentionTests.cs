using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Tests.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Common;

/// <summary>Attention with dropout whose backward recomputes the probabilities: the plain operations' values and gradients.</summary>
// Re-seeds torch's global generator and compares draws: no other class may draw from it meanwhile.
[Collection(TorchGlobalStateCollection.Name)]
public sealed class RecomputedDropoutAttentionTests
{
    private const double P = 0.3;

    [Theory]
    [InlineData(true, 2, 3, 7)]
    [InlineData(false, 2, 3, 7)]
    // 2 × 300 × 300 probabilities per batch row: more than half the chunk budget, so each row is its own chunk.
    [InlineData(true, 3, 2, 300)]
    [InlineData(false, 3, 2, 300)]
    public void GivesThePlainOperationsOutputAndGradients(bool masked, int batch, int heads, int length)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        // Queries and keys of size 4; the key length spans several mask rows.
        Tensor query = randn(batch, heads, length, 4).requires_grad_();
        Tensor key = randn(batch, heads, length, 4).requires_grad_();
        Tensor value = randn(batch, heads, length, 4).requires_grad_();
        Tensor? additive = masked ? zeros(batch, 1, 1, length) : null;
        if (additive is not null)
        {
            additive[1, 0, 0, 5] = tensor(-1e4f);
            additive[1, 0, 0, 6] = tensor(-1e4f);
        }

        Tensor weights = randn(batch, heads, length, 4); // a loss that weighs every output element differently
        double scale = 0.5;

        manual_seed(11);
        Tensor actual = RecomputedDropoutAttention.Apply(query, key, value, additive, P, scale);
        actual.mul(weights).sum().backward();
        Tensor[] actualGradients = [query.grad!.clone(), key.grad!.clone(), value.grad!.clone()];
        foreach (Tensor input in new[] { query, key, value })
        {
            input.grad!.zero_();
        }

        manual_seed(11);
        Tensor scores = query.matmul(key.transpose(-2, -1)).mul(scale);
        Tensor probabilities = (additive is null ? scores : scores.add(additive)).softmax(-1);
        Tensor keep = DropoutMask.DrawKeepMask(probabilities.shape, P);
        Tensor expected = probabilities.mul(keep).mul(1.0 / (1 - P)).matmul(value); // the ops FastDropout runs
        expected.mul(weights).sum().backward();

        Assert.True(actual.eq(expected).all().item<bool>(), "forward must be bit-identical to the plain operations");
        Assert.True(actualGradients[0].allclose(query.grad!, rtol: 0, atol: 1e-5), "query gradient");
        Assert.True(actualGradients[1].allclose(key.grad!, rtol: 0, atol: 1e-5), "key gradient");
        Assert.True(actualGradients[2].allclose(value.grad!, rtol: 0, atol: 1e-5), "value gradient");
        Assert.True(keep.logical_not().any().item<bool>(), "the mask must drop something for the test to mean anything");
    }

    [Fact]
    public void OnlyInputsThatNeedGradientsGetThem()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        Tensor query = randn(1, 2, 5, 4).requires_grad_();
        Tensor key = randn(1, 2, 5, 4);
        Tensor value = randn(1, 2, 5, 4).requires_grad_();

        RecomputedDropoutAttention.Apply(query, key, value, null, P, 0.5).sum().backward();

        Assert.NotNull(query.grad);
        Assert.Null(key.grad);
        Assert.NotNull(value.grad);
    }

    [Fact]
    public void WithoutGradientsItIsAPlainForward()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        Tensor query = randn(1, 2, 5, 4);
        manual_seed(12);
        Tensor output = RecomputedDropoutAttention.Apply(query, query, query, null, P, 0.5);
        manual_seed(12);
        Tensor again = RecomputedDropoutAttention.Apply(query, query, query, null, P, 0.5);

        Assert.False(output.requires_grad);
        Assert.True(output.eq(again).all().item<bool>());
    }

    [Fact]
    public void RejectsAProbabilityOutsideTheUnitInterval()
    {
        using var scope = NewDisposeScope();
        Tensor x = ones(1, 1, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => RecomputedDropoutAttention.Apply(x, x, x, null, 1.0, 1.0));
    }
}
