using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Tuners.Adapters;
using Microsoft.ML.Peft.Tuners.Baselines;
using Microsoft.ML.Peft.Tuners.IA3;
using TorchSharp;

namespace Microsoft.ML.Peft.Tests.Tuners.Baselines;

/// <summary>
/// One BERT-base-shaped classifier (hidden 768, 12 layers, intermediate 3072; a vocabulary of 8 and 16 positions to stay
/// small), shared by the closed-form counts of every method so it is built once.
/// </summary>
public sealed class BertBaseShapedModel : IDisposable
{
    public BertBaseShapedModel()
    {
        torch.manual_seed(61);
        Model = new BertForSequenceClassification(new BertConfig { VocabSize = 8, MaxPositionEmbeddings = 16, NumLabels = 2 });
        AllParameters = Model.parameters().Sum(p => p.numel());
    }

    public BertForSequenceClassification Model { get; }

    public long AllParameters { get; }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trainable parameters of each method on BERT-base equal their closed forms (H = 768, I = 3072, 12 layers, 2 labels),
/// and the adapter file holds exactly them.
/// </summary>
public sealed class BertBaseTrainableCountTests(BertBaseShapedModel shared) : IClassFixture<BertBaseShapedModel>
{
    private const long H = 768;
    private const long I = 3072;
    private const long Layers = 12;
    private const long Head = H * 2 + 2;

    [Fact]
    public void IA3OnPeftsBertDefaults()
    {
        // key and value (H each, outputs), attention.output.dense (H, input: matched by "output.dense") and the
        // feed-forward output.dense (I, input).
        const long ia3 = Layers * (H + H + H + I);
        Assert.Equal(64_512, ia3);
        AssertCount(new IA3Config { TaskType = TaskType.SeqCls }, ia3 + Head);
    }

    [Fact]
    public void IA3OnKeyValueAndTheFeedForwardOutput()
    {
        const long ia3 = Layers * (H + H + I);
        Assert.Equal(55_296, ia3);
        AssertCount(new IA3Config { TargetModules = ["key", "value", "output.dense"], ExcludeModules = ["attention.output.dense"], FeedforwardModules = ["output.dense"] }, ia3 + Head);
    }

    [Fact]
    public void HoulsbyWithReductionFactor16()
    {
        const long bottleneck = H / 16;
        const long adapter = H * bottleneck + bottleneck + bottleneck * H + H;
        Assert.Equal(74_544, adapter);
        Assert.Equal(1_789_056, Layers * 2 * adapter);
        AssertCount(new BottleneckAdapterConfig { Variant = BottleneckVariant.Houlsby }, Layers * 2 * adapter + Head);
    }

    [Fact]
    public void PfeifferWithReductionFactor16()
    {
        const long adapter = H * 48 + 48 + 48 * H + H;
        AssertCount(new BottleneckAdapterConfig { Variant = BottleneckVariant.Pfeiffer }, Layers * adapter + Head);
    }

    [Fact]
    public void ParallelWithItsDefaultReductionFactor2()
    {
        // The parallel down-projection reads the feed-forward projection's input (I); the bottleneck is H / 2.
        const long bottleneck = H / 2;
        const long adapter = I * bottleneck + bottleneck + bottleneck * H + H;
        AssertCount(new BottleneckAdapterConfig { Variant = BottleneckVariant.Parallel }, Layers * adapter + Head);
    }

    [Fact]
    public void BitFit()
    {
        // Per layer: query, key, value, attention output dense, its LayerNorm, intermediate (I), output dense, its LayerNorm.
        const long perLayer = H + H + H + H + H + I + H + H;
        const long biases = H /* embeddings LayerNorm */ + Layers * perLayer + H /* pooler */;
        Assert.Equal(102_912, biases);
        AssertCount(new BitFitConfig(), biases + Head);
    }

    [Fact]
    public void LayerNormTuning()
    {
        const long norms = 2 * H + Layers * 2 * 2 * H;
        Assert.Equal(38_400, norms);
        AssertCount(new LayerNormTuningConfig(), norms + Head);
    }

    [Fact]
    public void HeadOnly() => AssertCount(new HeadOnlyConfig(), Head);

    [Fact]
    public void FullFineTuning() => AssertCount(new FullFineTuningConfig(), shared.AllParameters, checkFileSize: false);

    private void AssertCount(PeftConfig config, long expected, bool checkFileSize = true)
    {
        var peft = PeftModel.Create(shared.Model, config);
        try
        {
            TrainableParameterReport report = peft.GetTrainableParameterReport();
            Assert.Equal(expected, report.TrainableParameters);
            Assert.Equal(expected, peft.TrainableParameters().Sum(p => p.numel()));
            if (checkFileSize)
            {
                // The adapter file holds exactly the trainable tensors, in float32.
                long bytes = peft.GetAdapterStateDict().Values.Sum(t => t.numel() * t.ElementSize);
                Assert.Equal(expected * 4, bytes);
            }
        }
        finally
        {
            peft.Unload();
            peft.Dispose();
        }

        Assert.Equal(shared.AllParameters, shared.Model.parameters().Sum(p => p.numel()));
    }
}
