using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Models.Roberta;
using TorchSharp;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>
/// Sequence classifiers run the encoder's last layer for the first token only: the same values and gradients as the
/// full last layer followed by the head.
/// </summary>
public sealed class FirstTokenEncodingTests
{
    [Fact]
    public void TheFirstTokenEncodingIsTheFirstRowOfTheFullOne()
    {
        using var scope = NewDisposeScope();
        BertConfig config = TinyBert();
        using var model = new BertModel(config);
        Randomize(model, seed: 21);
        model.eval();
        Batch batch = PaddedBatch(padId: 0);

        using EncoderOutput full = model.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        using EncoderOutput first = model.ForwardFirstToken(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor(), positionIds: null);

        Assert.Equal(new long[] { batch.Rows, 1, config.HiddenSize }, first.LastHiddenState.shape);
        AssertClose(ToDoubles(full.LastHiddenState.narrow(1, 0, 1)), ToDoubles(first.LastHiddenState), 1e-5, "first token");
        AssertClose(ToDoubles(full.PoolerOutput!), ToDoubles(first.PoolerOutput!), 1e-5, "pooled output");
    }

    [Fact]
    public void BertClassifierGradientsEqualThoseThroughTheFullLastLayer()
    {
        BertConfig config = WithoutDropout(TinyBert());
        using var model = new BertForSequenceClassification(config);
        Randomize(model, seed: 22);
        AssertSameLossAndGradients(model, (ids, mask, types) =>
        {
            using EncoderOutput encoded = model.Bert.Forward(ids, mask, types);
            return model.Call(BertForSequenceClassification.ClassifierName, encoded.PoolerOutput!);
        });
    }

    [Fact]
    public void RobertaClassifierGradientsEqualThoseThroughTheFullLastLayer()
    {
        var config = (RobertaConfig)WithoutDropout(RobertaTestData.TinyRoberta());
        using var model = new RobertaForSequenceClassification(config);
        Randomize(model, seed: 23);
        AssertSameLossAndGradients(model, (ids, mask, types) =>
        {
            using EncoderOutput encoded = model.Roberta.Forward(ids, mask, tokenTypeIds: null);
            return model.Child<RobertaClassificationHead>(RobertaForSequenceClassification.ClassifierName).Forward(encoded.LastHiddenState);
        }, padId: RobertaTestData.PadId, withTokenTypes: false);
    }

    private static BertConfig WithoutDropout(BertConfig config)
    {
        config.HiddenDropoutProb = 0;
        config.AttentionProbsDropoutProb = 0;
        config.ClassifierDropout = 0;
        return config;
    }

    /// <summary>Training mode, dropout off: the classifier's loss and every parameter's gradient against the full-layer path.</summary>
    private static void AssertSameLossAndGradients(
        nn.Module model, Func<Tensor, Tensor, Tensor?, Tensor> fullPath, long padId = 0, bool withTokenTypes = true)
    {
        using var scope = NewDisposeScope();
        model.train();
        Batch batch = PaddedBatch(padId);
        Tensor ids = batch.IdsTensor();
        Tensor mask = batch.MaskTensor();
        Tensor? types = withTokenTypes ? batch.TokenTypesTensor() : null;
        Tensor labels = tensor(new long[] { 2, 0, 1 });

        (double Loss, Dictionary<string, Tensor> Gradients) Run(Func<Tensor> logits)
        {
            model.zero_grad();
            Tensor loss = nn.functional.cross_entropy(logits(), labels);
            loss.backward();
            return (loss.item<float>(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
        }

        (double expectedLoss, Dictionary<string, Tensor> expected) = Run(() => fullPath(ids, mask, types));
        (double actualLoss, Dictionary<string, Tensor> actual) = Run(() => ((ISequenceClassificationModel)model).Forward(ids, mask, types));

        Assert.Equal(expectedLoss, actualLoss, 6);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        // Relative to the largest gradient: some are zero up to rounding (the key bias shifts every score of a row alike).
        double scale = expected.Values.Max(g => g.abs().max().item<float>());
        foreach ((string name, Tensor gradient) in expected)
        {
            Assert.True(actual[name].allclose(gradient, rtol: 0, atol: 1e-5 * scale), $"gradient of {name}");
        }

        // The test means something only if the last layer's non-first positions would have carried gradient.
        Assert.Contains(expected, p => p.Key.Contains(".layer.1.", StringComparison.Ordinal) && p.Value.abs().sum().item<float>() > 0);
    }
}
