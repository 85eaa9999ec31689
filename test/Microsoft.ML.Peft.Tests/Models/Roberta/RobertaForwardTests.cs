using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Models.Bert;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>The TorchSharp RoBERTa against the double-precision reference with RoBERTa's positions and head.</summary>
public sealed class RobertaForwardTests
{
    private const double HiddenTolerance = 1e-4;
    private const double LogitTolerance = 2e-5;

    [Fact]
    public void PositionIdsStartAfterThePaddingIdAndSkipPadding()
    {
        using var ids = tensor(new long[] { 0, 5, 6, 2, 1, 1, 1, 1, 0, 7, 2, 1 }, [2, 6]);

        using Tensor positions = RobertaModel.CreatePositionIdsFromInputIds(ids, paddingIndex: 1);

        Assert.Equal(new long[] { 2, 6 }, positions.shape);
        Assert.Equal(new long[] { 2, 3, 4, 5, 1, 1, 1, 1, 2, 3, 4, 1 }, positions.data<long>().ToArray());
    }

    [Fact]
    public void HiddenStatesMatchTheReference()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var model = new RobertaModel(config);
        Randomize(model, seed: 31);
        model.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();

        using EncoderOutput output = model.Forward(ids, mask, outputHiddenStates: true);

        var reference = new ReferenceEncoder(StateDict(model), string.Empty, config);
        var expectedEmbeddings = new List<double>();
        var expectedLast = new List<double>();
        var expectedPooled = new List<double>();
        for (int row = 0; row < batch.Rows; row++)
        {
            List<double[][]> stages = reference.Encode(
                batch.Ids[row], batch.Mask[row], batch.TokenTypes[row], RobertaTestData.Positions(batch.Ids[row]));
            expectedEmbeddings.AddRange(stages[0].SelectMany(t => t));
            expectedLast.AddRange(stages[^1].SelectMany(t => t));
            expectedPooled.AddRange(ReferenceEncoder.Tanh(reference.Linear("pooler.dense", stages[^1][0])));
        }

        AssertClose(expectedEmbeddings, ToDoubles(output.HiddenStates![0]), HiddenTolerance, "embedding output");
        AssertClose(expectedLast, ToDoubles(output.LastHiddenState), HiddenTolerance, "last hidden state");
        AssertClose(expectedPooled, ToDoubles(output.PoolerOutput!), HiddenTolerance, "pooler output");
    }

    [Fact]
    public void ClassificationLogitsMatchTheReference()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta(numLabels: 3);
        using var model = new RobertaForSequenceClassification(config);
        Randomize(model, seed: 32);
        model.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();

        using Tensor logits = model.Forward(ids, mask);

        Assert.Equal(new long[] { 3, 3 }, logits.shape);
        AssertClose(RobertaTestData.ReferenceLogits(StateDict(model), config, batch), ToDoubles(logits), LogitTolerance, "logits");
    }

    [Fact]
    public void PositionsComeFromTheIdsNotFromArange()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var model = new RobertaModel(config);
        Randomize(model, seed: 33);
        model.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        using var ids = batch.IdsTensor();
        using var mask = batch.MaskTensor();
        using var plainPositions = arange(batch.Length, ScalarType.Int64).unsqueeze(0);

        using EncoderOutput derived = model.Forward(ids, mask);
        using EncoderOutput bertStyle = model.Forward(ids, mask, positionIds: plainPositions);

        Assert.False(derived.LastHiddenState.allclose(bertStyle.LastHiddenState, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void PaddedTokenIdsDoNotChangeTheLogits()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var model = new RobertaForSequenceClassification(config);
        Randomize(model, seed: 34);
        model.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        Batch otherPadding = batch.WithIds(batch.Ids.Select((row, r) =>
            row.Select((id, t) => batch.Mask[r][t] == 0 ? 20L + t : id).ToArray()).ToArray());
        using var mask = batch.MaskTensor();
        using var ids = batch.IdsTensor();
        using var otherIds = otherPadding.IdsTensor();

        using Tensor a = model.Forward(ids, mask);
        using Tensor b = model.Forward(otherIds, mask);

        AssertClose(ToDoubles(a), ToDoubles(b), 1e-6, "logits");
    }

    [Fact]
    public void TooLongSequencesFailExplainingThePositionOffset()
    {
        using var model = new RobertaForSequenceClassification(RobertaTestData.TinyRoberta());
        using var ids = full(1, 11, 5L, ScalarType.Int64);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(ids));

        Assert.Contains("at most 10", error.Message);
        Assert.Contains("pad_token_id", error.Message);
    }

    [Fact]
    public void ABatchPaddedBeyondThePositionTableRunsAsInTransformers()
    {
        // max_position_embeddings 12, pad id 1: padding takes position 1 itself, so 12 ids of which 3 are tokens fit.
        using var model = new RobertaForSequenceClassification(RobertaTestData.TinyRoberta());
        model.eval();
        using var ids = tensor(new long[] { 0, 5, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [1, 12]);
        using var mask = tensor(new long[] { 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, [1, 12]);
        using var unpadded = tensor(new long[] { 0, 5, 2 }, [1, 3]);
        using Tensor padded = model.Forward(ids, mask);
        using Tensor alone = model.Forward(unpadded);
        AssertClose(ToDoubles(alone), ToDoubles(padded), 1e-5, "logits");
    }
}
