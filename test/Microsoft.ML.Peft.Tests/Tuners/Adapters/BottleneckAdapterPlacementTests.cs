using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Adapters;

/// <summary>Where a bottleneck adapter sits in BERT's residual branch: dense → dropout → adapter → LayerNorm(· + residual).</summary>
public sealed class BottleneckAdapterPlacementTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheAdaptersOutputDoesNotGoThroughTheBranchDropout(bool training)
    {
        torch.manual_seed(5);
        var config = new BertConfig
        {
            VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8,
            HiddenDropoutProb = 0.5, NumLabels = 2,
        };
        var output = new BertResidualOutput(config, inputSize: 16);
        using var holder = new Holder(output);
        using var peft = PeftModel.Create(holder, new BottleneckAdapterConfig { TargetModules = ["dense"], ReductionFactor = 2 });
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers["out.dense"];
        using (no_grad())
        {
            // The projection gives 0, which dropout keeps at 0; the adapter then adds exactly 1 (its up-projection's bias).
            var dense = (Linear)layer.BaseLayer;
            dense.weight!.zero_();
            dense.bias!.zero_();
            ((Linear)layer.Up("default")).bias!.fill_(1.0);
        }

        output.train(training);
        using var noGrad = no_grad();
        using Tensor x = randn(4, 3, 16);
        using Tensor residual = randn(4, 3, 8);
        using Tensor actual = output.Forward(x, residual);
        var layerNorm = (LayerNorm)output.named_children().First(c => c.name == "LayerNorm").module;
        using Tensor expected = layerNorm.forward(residual + 1.0);
        TensorAssert.Close(expected, actual, 1e-5);
    }

    /// <summary>Autograd through the reordered branch: the in-place dropout sits between the projection and the adapter.</summary>
    [Fact]
    public void AHoulsbyBertBackpropagatesThroughTheInPlaceBranchDropoutIntoTheAdapter()
    {
        torch.manual_seed(6);
        using var model = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8,
            HiddenDropoutProb = 0.3, AttentionProbsDropoutProb = 0.1, NumLabels = 2,
        });
        using var peft = PeftModel.Create(model, new BottleneckAdapterConfig { Variant = BottleneckVariant.Houlsby, ReductionFactor = 2 });
        model.train();
        using Tensor ids = tensor(new long[] { 1, 5, 7, 2, 1, 9, 3, 2 }, [2, 4]);
        using Tensor logits = model.Forward(ids);
        logits.square().sum().backward();
        BottleneckAdapterLayer layer = ((BottleneckAdapterModel)peft.BaseModel).AdapterLayers["bert.encoder.layer.0.attention.output.dense"];
        Assert.True(TensorAssert.MaxAbs(((Linear)layer.Up("default")).weight!.grad!) > 0);
    }

    private sealed class Holder : nn.Module<Tensor, Tensor>
    {
        public Holder(BertResidualOutput output)
            : base(nameof(Holder))
        {
            register_module("out", output);
        }

        public override Tensor forward(Tensor input) => input;
    }
}
