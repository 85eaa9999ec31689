using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// The forward pass shared by <see cref="BertModel"/> and RoBERTa's encoder, which register the same
/// <c>embeddings</c>, <c>encoder</c> and (optionally) <c>pooler</c> submodules and differ only in their position ids.
/// </summary>
internal static class EncoderForward
{
    public static EncoderOutput Run(
        nn.Module model,
        BertConfig config,
        Tensor inputIds,
        Tensor? attentionMask,
        Tensor? tokenTypeIds,
        Tensor positionIds,
        bool outputHiddenStates,
        bool hasPooler,
        bool firstTokenOnly = false)
    {
        using var scope = NewDisposeScope();
        long[] shape = inputIds.shape;
        Tensor types = tokenTypeIds ?? zeros(shape, ScalarType.Int64, inputIds.device);

        Tensor embedded = model.Child<BertEmbeddings>("embeddings").Forward(inputIds, types, positionIds);
        Tensor? additiveMask = attentionMask is null
            ? null
            : AttentionMasks.ToAdditiveKeyMask(attentionMask.to(embedded.device), shape, embedded.dtype);

        List<Tensor>? hiddenStates = outputHiddenStates ? [embedded] : null;
        Tensor last = model.Child<BertEncoder>("encoder").Forward(embedded, additiveMask, hiddenStates, firstTokenOnly);
        Tensor? pooled = hasPooler ? model.Child<BertPooler>("pooler").Forward(last) : null;

        var results = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { last };
        if (pooled is not null)
        {
            results.Add(pooled);
        }

        results.UnionWith(hiddenStates ?? []);
        foreach (Tensor result in results)
        {
            result.MoveToOuterDisposeScope();
        }

        return new EncoderOutput(last, pooled, hiddenStates);
    }
}
