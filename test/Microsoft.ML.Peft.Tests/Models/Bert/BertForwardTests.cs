using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>
/// The TorchSharp BERT against <see cref="ReferenceEncoder"/>, a plain double-precision implementation, for the same
/// weights and a padded batch with token types.
/// </summary>
public sealed class BertForwardTests
{
    private const double HiddenTolerance = 1e-4;
    private const double LogitTolerance = 2e-5;

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_new")]
    [InlineData("relu")]
    [InlineData("silu")]
    public void HiddenStatesAndPoolerMatchTheReference(string activation)
    {
        BertConfig config = TinyBert(activation);
        using var model = new BertModel(config);
        Randomize(model, seed: 11);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);

        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();
        using EncoderOutput output = model.Forward(ids, mask, types, outputHiddenStates: true);

        var reference = new ReferenceEncoder(StateDict(model), prefix: string.Empty, config);
        var expectedStages = Enumerable.Range(0, config.NumHiddenLayers + 1).Select(_ => new List<double>()).ToList();
        var expectedPooled = new List<double>();
        for (int row = 0; row < batch.Rows; row++)
        {
            long[] positions = Enumerable.Range(0, batch.Length).Select(p => (long)p).ToArray();
            List<double[][]> stages = reference.Encode(batch.Ids[row], batch.Mask[row], batch.TokenTypes[row], positions);
            for (int s = 0; s < stages.Count; s++)
            {
                expectedStages[s].AddRange(stages[s].SelectMany(t => t));
            }

            expectedPooled.AddRange(ReferenceEncoder.Tanh(reference.Linear("pooler.dense", stages[^1][0])));
        }

        Assert.NotNull(output.HiddenStates);
        Assert.Equal(config.NumHiddenLayers + 1, output.HiddenStates!.Count);
        for (int s = 0; s < expectedStages.Count; s++)
        {
            Assert.Equal(new long[] { batch.Rows, batch.Length, config.HiddenSize }, output.HiddenStates[s].shape);
            AssertClose(expectedStages[s], ToDoubles(output.HiddenStates[s]), HiddenTolerance, $"hidden state {s}");
        }

        AssertClose(expectedStages[^1], ToDoubles(output.LastHiddenState), HiddenTolerance, "last hidden state");
        Assert.Equal(new long[] { batch.Rows, config.HiddenSize }, output.PoolerOutput!.shape);
        AssertClose(expectedPooled, ToDoubles(output.PoolerOutput), HiddenTolerance, "pooler output");
    }

    [Fact]
    public void ClassificationLogitsMatchTheReference()
    {
        BertConfig config = TinyBert(numLabels: 3);
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 12);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);

        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();
        using Tensor logits = model.Forward(ids, mask, types);

        Assert.Equal(new long[] { batch.Rows, 3 }, logits.shape);
        AssertClose(ReferenceLogits(StateDict(model), config, batch), ToDoubles(logits), LogitTolerance, "logits");
    }

    [Fact]
    public void PaddedTokenIdsDoNotChangeTheOutputsOfRealTokens()
    {
        BertConfig config = TinyBert();
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 13);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);
        Batch otherPadding = batch.WithIds(batch.Ids.Select((row, r) =>
            row.Select((id, t) => batch.Mask[r][t] == 0 ? 17L + t : id).ToArray()).ToArray());

        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();
        using var ids = batch.IdsTensor();
        using var otherIds = otherPadding.IdsTensor();
        using EncoderOutput a = model.Bert.Forward(ids, mask, types);
        using EncoderOutput b = model.Bert.Forward(otherIds, mask, types);
        using Tensor logitsA = model.Forward(ids, mask, types);
        using Tensor logitsB = model.Forward(otherIds, mask, types);

        double[] hiddenA = ToDoubles(a.LastHiddenState);
        double[] hiddenB = ToDoubles(b.LastHiddenState);
        var realA = new List<double>();
        var realB = new List<double>();
        for (int r = 0; r < batch.Rows; r++)
        {
            for (int t = 0; t < batch.Length; t++)
            {
                if (batch.Mask[r][t] == 1)
                {
                    int start = (r * batch.Length + t) * config.HiddenSize;
                    realA.AddRange(hiddenA.Skip(start).Take(config.HiddenSize));
                    realB.AddRange(hiddenB.Skip(start).Take(config.HiddenSize));
                }
            }
        }

        AssertClose(realA, realB, 1e-6, "hidden states of real tokens");
        AssertClose(ToDoubles(logitsA), ToDoubles(logitsB), 1e-6, "logits");
        // The test would be vacuous if the padded ids had no effect at all: the padded positions' own outputs do change.
        Assert.NotEqual(hiddenA, hiddenB);
    }

    [Fact]
    public void MaskAndTokenTypesMatter()
    {
        BertConfig config = TinyBert();
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 14);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();

        using Tensor withEverything = model.Forward(ids, mask, types);
        using Tensor noMask = model.Forward(ids, null, types);
        using Tensor noTypes = model.Forward(ids, mask, null);
        using Tensor zeroTypes = zeros_like(types);
        using Tensor explicitZeroTypes = model.Forward(ids, mask, zeroTypes);

        Assert.False(withEverything.allclose(noMask, rtol: 0, atol: 1e-4));
        Assert.False(withEverything.allclose(noTypes, rtol: 0, atol: 1e-4));
        Assert.True(noTypes.allclose(explicitZeroTypes, rtol: 0, atol: 1e-7));
        using Tensor boolMask = mask.to(ScalarType.Bool);
        using Tensor floatMask = mask.to(ScalarType.Float32);
        using Tensor withBoolMask = model.Forward(ids, boolMask, types);
        using Tensor withFloatMask = model.Forward(ids, floatMask, types);
        Assert.True(Identical(withEverything, withBoolMask));
        Assert.True(Identical(withEverything, withFloatMask));
    }

    [Fact]
    public void GradientsReachEveryParameter()
    {
        BertConfig config = TinyBert();
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 17);
        model.train();
        Batch batch = PaddedBatch(padId: 0);
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();

        using Tensor logits = model.Forward(ids, mask, types);
        using Tensor loss = logits.square().sum();
        loss.backward();

        foreach ((string name, TorchSharp.Modules.Parameter parameter) in model.named_parameters())
        {
            using Tensor? grad = parameter.grad;
            Assert.True(grad is not null, $"{name} received no gradient.");
            Assert.True(grad!.abs().sum().item<float>() > 0, $"{name} received an all-zero gradient.");
        }
    }

    [Fact]
    public void ModuleSwappedInByNameIsTheOneThatRuns()
    {
        // PEFT replaces Linear layers by name (register_module); forward must run the replacement, not a stale field.
        BertConfig config = TinyBert();
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 18);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();
        using Tensor before = model.Forward(ids, mask, types);

        var attention = model.named_modules().Single(p => p.name == "bert.encoder.layer.1.attention.self").module;
        var replacement = TorchSharp.torch.nn.Linear(config.HiddenSize, config.HiddenSize);
        using (no_grad())
        {
            replacement.weight.normal_(0, 0.5);
        }

        attention.register_module("value", null!);
        attention.register_module("value", replacement);
        using Tensor after = model.Forward(ids, mask, types);

        Assert.False(before.allclose(after, rtol: 0, atol: 1e-4));
        Assert.Contains("bert.encoder.layer.1.attention.self.value.weight", model.state_dict().Keys);
        AssertClose(ReferenceLogits(StateDict(model), config, batch), ToDoubles(after), LogitTolerance, "logits after the swap");
    }

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        BertConfig config = TinyBert();
        config.HiddenDropoutProb = 0.3;
        config.AttentionProbsDropoutProb = 0.3;
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 15);
        Batch batch = PaddedBatch(padId: 0);
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var types = batch.TokenTypesTensor();

        model.eval();
        using Tensor eval1 = model.Forward(ids, mask, types);
        using Tensor eval2 = model.Forward(ids, mask, types);
        model.train();
        using Tensor train1 = model.Forward(ids, mask, types);
        using Tensor train2 = model.Forward(ids, mask, types);

        Assert.True(eval1.allclose(eval2, rtol: 0, atol: 0));
        Assert.False(train1.allclose(train2, rtol: 0, atol: 1e-6));
        Assert.False(train1.allclose(eval1, rtol: 0, atol: 1e-6));
        AssertClose(ReferenceLogits(StateDict(model), config, batch), ToDoubles(eval1), LogitTolerance, "eval logits");
    }

    [Fact]
    public void ExplicitPositionIdsAreUsed()
    {
        BertConfig config = TinyBert();
        using var model = new BertModel(config);
        Randomize(model, seed: 16);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);
        long[] shifted = [3, 4, 5, 6, 7, 8];
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var positions = tensor(shifted, [1, shifted.Length]);

        using EncoderOutput output = model.Forward(ids, mask, positionIds: positions);

        var reference = new ReferenceEncoder(StateDict(model), string.Empty, config);
        var expected = new List<double>();
        for (int row = 0; row < batch.Rows; row++)
        {
            long[] zerosRow = new long[batch.Length];
            expected.AddRange(reference.Encode(batch.Ids[row], batch.Mask[row], zerosRow, shifted)[^1].SelectMany(t => t));
        }

        AssertClose(expected, ToDoubles(output.LastHiddenState), HiddenTolerance, "last hidden state with shifted positions");
    }

    [Fact]
    public void BadInputsFailWithMessagesNamingTheArgument()
    {
        BertConfig config = TinyBert();
        using var model = new BertForSequenceClassification(config);
        using var tooLong = zeros([1, 25], ScalarType.Int64);
        using var outOfVocab = tensor(new long[] { 2, 40 }, [1, 2]);
        using var floatIds = zeros([1, 2], ScalarType.Float32);
        using var oneDimensional = zeros([4], ScalarType.Int64);
        using var ids = tensor(new long[] { 2, 3, 4 }, [1, 3]);
        using var badMask = ones([1, 4], ScalarType.Int64);
        using var badTypes = tensor(new long[] { 0, 2, 0 }, [1, 3]);

        Assert.Contains("max_position_embeddings is 24", Assert.Throws<ArgumentException>(() => model.Forward(tooLong)).Message);
        Assert.Contains("vocab_size is 40", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(outOfVocab)).Message);
        Assert.Contains("integer ids", Assert.Throws<ArgumentException>(() => model.Forward(floatIds)).Message);
        Assert.Contains("[batch, sequence]", Assert.Throws<ArgumentException>(() => model.Forward(oneDimensional)).Message);
        Assert.Contains("attentionMask", Assert.Throws<ArgumentException>(() => model.Forward(ids, badMask)).Message);
        Assert.Contains("type_vocab_size is 2", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ids, null, badTypes)).Message);
    }

    /// <summary>Reference logits: classifier(pooler(first token)) per row, in double precision.</summary>
    internal static List<double> ReferenceLogits(IReadOnlyDictionary<string, Tensor> state, BertConfig config, Batch batch)
    {
        var reference = new ReferenceEncoder(state, "bert.", config);
        var logits = new List<double>();
        for (int row = 0; row < batch.Rows; row++)
        {
            long[] positions = Enumerable.Range(0, batch.Length).Select(p => (long)p).ToArray();
            double[][] last = reference.Encode(batch.Ids[row], batch.Mask[row], batch.TokenTypes[row], positions)[^1];
            double[] pooled = ReferenceEncoder.Tanh(reference.Linear("bert.pooler.dense", last[0]));
            logits.AddRange(reference.Linear("classifier", pooled));
        }

        return logits;
    }
}
