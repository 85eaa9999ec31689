using TorchSharp;
using Microsoft.ML.Peft.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// LoRA on an embedding table, as PEFT's <c>lora.Embedding</c>: parameters <c>lora_embedding_A</c> [r, num_embeddings]
/// and <c>lora_embedding_B</c> [embedding_dim, r], y = base(ids) + scale · Aᵀ[ids] · Bᵀ, merged update
/// scale · (B·A)ᵀ. As in PEFT, LoRA dropout is not applied to embeddings, and by default A starts at zero and B normal.
/// </summary>
public sealed class LoraEmbedding : LoraLayer
{
    internal LoraEmbedding(Embedding baseLayer, string adapterName, int r, double alpha, LoraConfig config, bool initialize)
        : base(nameof(LoraEmbedding), baseLayer)
    {
        UpdateLayer(adapterName, r, alpha, config, initialize);
    }

    /// <inheritdoc />
    public override Tensor GetDeltaWeight(string adapterName)
    {
        using var scope = NewDisposeScope();
        Tensor delta = WeightB(adapterName).matmul(WeightA(adapterName)).t().Scaled(Scaling(adapterName));
        return delta.contiguous().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor BaseWeight => ((Embedding)BaseLayer).weight!;

    /// <inheritdoc />
    private protected override void CreateAdapterWeights(string adapterName, int r, Device device, ScalarType dtype)
    {
        long[] shape = BaseWeight.shape;
        AddLowRankParameters(
            adapterName,
            new Parameter(torch.randn(r, shape[0], dtype: dtype, device: device).DetachFromDisposeScope()),
            new Parameter(torch.randn(shape[1], r, dtype: dtype, device: device).DetachFromDisposeScope()));
    }

    /// <summary>PEFT initializes embedding adapters the other way round: A zero, B standard normal.</summary>
    private protected override void InitializeAdapterWeights(string adapterName, LoraInitialization init, int r)
    {
        if (init == LoraInitialization.Random)
        {
            return;
        }

        nn.init.zeros_(WeightA(adapterName));
        nn.init.normal_(WeightB(adapterName));
    }

    /// <inheritdoc />
    protected override Tensor TransformOutput(Tensor input, Tensor output)
    {
        string adapter = ActiveAdapter!;
        double scaling = Scaling(adapter);
        Tensor a = WeightA(adapter);
        Tensor ids = input.flatten();
        Tensor afterA = a.t().index_select(0, ids);
        if (EmbeddingPadding.Of((Embedding)BaseLayer) is long padding)
        {
            // As F.embedding with padding_idx in PEFT: the padding token's column of A takes no gradient (forward unchanged).
            using Scalar paddingId = padding;
            afterA = torch.where(ids.eq(paddingId).unsqueeze(1), afterA.detach(), afterA);
        }

        afterA = afterA.reshape([.. input.shape, a.shape[0]]);
        Tensor lora = afterA.matmul(WeightB(adapter).t()).Scaled(scaling);
        if (!UsesDora(adapter))
        {
            return output.Plus(lora).to(output.dtype);
        }

        // DoRA (PEFT's DoraEmbeddingLayer): the magnitude scales each embedding dimension.
        Tensor norm = DoraWeightNorm(BaseWeight.to(a.dtype), GetDeltaWeight(adapter).detach()).detach();
        Tensor scale = Magnitude(adapter) / norm;
        return (scale * output.to(a.dtype)).Plus(scale * lora).to(output.dtype);
    }

    /// <summary>Norm of each embedding dimension (column) of W + delta, shaped [embedding_dim].</summary>
    private protected override Tensor DoraWeightNorm(Tensor weight, Tensor delta) => weight.Plus(delta).square().sum(new long[] { 0 }).sqrt();

    /// <inheritdoc />
    private protected override Tensor FactorInWeightLayout(Tensor factor) => factor.view(1, -1);
}
