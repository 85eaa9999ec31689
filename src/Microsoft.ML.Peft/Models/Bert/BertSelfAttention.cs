using Microsoft.ML.Peft.Models.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// transformers' <c>BertSelfAttention</c> (absolute positions, encoder only): softmax(Q Kᵀ / sqrt(head_dim) + mask) V
/// per head, with dropout on the attention probabilities while training.
/// </summary>
[ResolvesChildrenByName]
internal sealed class BertSelfAttention : nn.Module
{
    private readonly long _heads;
    private readonly long _headSize;
    private readonly double _dropoutProbability;

    public BertSelfAttention(BertConfig config)
        : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HiddenSize / config.NumAttentionHeads;
        _dropoutProbability = config.AttentionProbsDropoutProb;
        register_module("query", nn.Linear(config.HiddenSize, config.HiddenSize));
        register_module("key", nn.Linear(config.HiddenSize, config.HiddenSize));
        register_module("value", nn.Linear(config.HiddenSize, config.HiddenSize));
    }

    /// <param name="hiddenStates">[batch, sequence, hidden]: the keys' and values' positions.</param>
    /// <param name="additiveMask">[batch, 1, 1, sequence] additive key mask, or null to attend everywhere.</param>
    /// <param name="queryStates">
    /// [batch, queries, hidden]: the positions whose outputs are wanted (a leading slice of <paramref name="hiddenStates"/>),
    /// or null for all of them.
    /// </param>
    /// <returns>[batch, queries, hidden].</returns>
    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask, Tensor? queryStates = null)
    {
        using var scope = NewDisposeScope();
        long batch = hiddenStates.shape[0];
        Tensor queries = queryStates ?? hiddenStates;

        Tensor SplitHeads(Tensor projected) => projected.view(batch, projected.shape[1], _heads, _headSize).transpose(1, 2);

        Tensor query = SplitHeads(this.Call("query", queries));
        Tensor key = SplitHeads(this.Call("key", hiddenStates));
        Tensor value = SplitHeads(this.Call("value", hiddenStates));

        Tensor context = training && _dropoutProbability > 0 && hiddenStates.device_type == DeviceType.CPU
            ? AttentionWithFastDropout(query, key, value, additiveMask)
            : nn.functional.scaled_dot_product_attention(query, key, value, additiveMask, p: training ? _dropoutProbability : 0.0);

        return context.transpose(1, 2).reshape(batch, queries.shape[1], _heads * _headSize).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The attention that scaled_dot_product_attention computes with dropout (its math path on the CPU), with the
    /// probabilities' dropout mask from <see cref="DropoutMask"/> instead of libtorch's single-threaded bernoulli, and
    /// backward recomputing the probabilities instead of keeping them (<see cref="RecomputedDropoutAttention"/>). The
    /// scale is 1/sqrt(head_dim), as in BERT and as SDPA's default.
    /// </summary>
    private Tensor AttentionWithFastDropout(Tensor query, Tensor key, Tensor value, Tensor? additiveMask) =>
        RecomputedDropoutAttention.Apply(query, key, value, additiveMask, _dropoutProbability, 1.0 / Math.Sqrt(_headSize));
}
