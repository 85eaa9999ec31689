using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Lora;

/// <summary>LoRA on embeddings as PEFT: parameters lora_embedding_A [r, num] and lora_embedding_B [dim, r].</summary>
public sealed class LoraEmbeddingTests
{
    private const string Embeddings = "bert.embeddings.word_embeddings";

    [Fact]
    public void ParametersHavePeftsNamesShapesAndInitialization()
    {
        torch.manual_seed(21);
        var model = new TinyBert(vocab: 20, hidden: 16);
        using Tensor ids = TinyBert.Ids();
        using Tensor before = model.forward(ids);
        using var peft = PeftModel.Create(model, new LoraConfig { R = 4, TargetModules = ["word_embeddings"] });

        var a = peft.get_parameter($"base_model.model.{Embeddings}.lora_embedding_A.default")!;
        var b = peft.get_parameter($"base_model.model.{Embeddings}.lora_embedding_B.default")!;
        Assert.Equal([4L, 20L], a.shape);
        Assert.Equal([16L, 4L], b.shape);
        Assert.Equal(0, TensorAssert.MaxAbs(a));
        Assert.True(TensorAssert.MaxAbs(b) > 0);
        using Tensor after = model.forward(ids);
        TensorAssert.Close(before, after, 0);
    }

    [Fact]
    public void ThePaddingTokensColumnOfATakesNoGradientAsPeftsPaddingIdx()
    {
        // The library's BERT creates its word embeddings with padding_idx = pad_token_id (0 here).
        torch.manual_seed(23);
        using var model = new Microsoft.ML.Peft.Models.Bert.BertForSequenceClassification(new Microsoft.ML.Peft.Models.Bert.BertConfig
        {
            VocabSize = 12, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8,
            HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, PadTokenId = 0,
        });
        using var peft = PeftModel.Create(model, new LoraConfig { R = 2, TargetModules = ["word_embeddings"], InitLoraWeights = LoraInitialization.Random, ModulesToSave = [] });
        var a = peft.get_parameter($"base_model.model.{Embeddings}.lora_embedding_A.default")!;

        using Tensor ids = tensor(new long[] { 2, 5, 0, 0, 3, 0 }, [1, 6]);
        using Tensor withPadding = model.Forward(ids);
        withPadding.square().sum().backward();

        Tensor grad = a.grad!;
        Assert.Equal(0, TensorAssert.MaxAbs(grad.select(1, 0)));
        Assert.True(TensorAssert.MaxAbs(grad.select(1, 5)) > 0);
        Assert.Equal(0, TensorAssert.MaxAbs(grad.select(1, 7))); // a token not in the batch
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardAddsScaledLookupAndMergesExactly(bool useDora)
    {
        torch.manual_seed(22);
        var model = new TinyBert(vocab: 20, hidden: 16);
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 3, LoraAlpha = 9, UseDora = useDora, TargetModules = ["word_embeddings"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraEmbedding)peft.BaseModel.TunerLayers[Embeddings];
        var table = ((Embedding)layer.BaseLayer).weight!;
        using Tensor ids = TinyBert.Ids(batch: 3, tokens: 4);

        using Tensor delta = layer.WeightB("default").matmul(layer.WeightA("default")).t() * 3.0;
        TensorAssert.Close(delta, layer.GetDeltaWeight("default"), 1e-6);
        Tensor expectedTable = table + delta;
        if (useDora)
        {
            Tensor magnitude = peft.Model.get_parameter($"{Embeddings}.lora_magnitude_vector.default.weight")!;
            Assert.Equal([16L], magnitude.shape);
            TensorAssert.Close(expectedTable.square().sum(new long[] { 0 }).sqrt(), magnitude, 1e-5);
            using (no_grad())
            {
                magnitude.mul_(torch.linspace(0.5, 2, 16));
            }

            expectedTable = expectedTable * (magnitude / expectedTable.square().sum(new long[] { 0 }).sqrt()).view(1, -1);
        }

        using Tensor expected = expectedTable.index_select(0, ids.flatten()).view(3, 4, 16);
        using Tensor actual = layer.forward(ids);
        TensorAssert.Close(expected, actual, 1e-5);

        using Tensor original = table.detach().clone();
        using Tensor logits = model.forward(ids);
        peft.Merge();
        using Tensor merged = model.forward(ids);
        TensorAssert.CloseAtScale(logits, merged);
        peft.Unmerge();
        TensorAssert.Close(original, table, useDora ? 1e-5 : 1e-6);
    }
}
