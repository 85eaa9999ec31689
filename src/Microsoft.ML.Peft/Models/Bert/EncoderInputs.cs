using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// Checks the tensors given to a BERT-style encoder up front, so a wrong shape, dtype or out-of-range id fails with a
/// message naming the argument instead of an index error deep inside libtorch.
/// </summary>
internal static class EncoderInputs
{
    public static void CheckInputIds(Tensor inputIds, BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2)
        {
            throw new ArgumentException(
                $"inputIds must be [batch, sequence], got shape [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }

        if (inputIds.shape[1] == 0)
        {
            throw new ArgumentException("inputIds has no tokens (sequence length 0).", nameof(inputIds));
        }

        CheckIds(inputIds, nameof(inputIds), config.VocabSize, "vocab_size");
    }

    public static void CheckTokenTypeIds(Tensor tokenTypeIds, Tensor inputIds, BertConfig config)
    {
        RequireSameShape(tokenTypeIds, inputIds, nameof(tokenTypeIds));
        CheckIds(tokenTypeIds, nameof(tokenTypeIds), config.TypeVocabSize, "type_vocab_size");
    }

    public static void CheckPositionIds(Tensor positionIds, Tensor inputIds, BertConfig config)
    {
        bool batchFits = positionIds.dim() == 2 && (positionIds.shape[0] == inputIds.shape[0] || positionIds.shape[0] == 1);
        if (!batchFits || positionIds.shape[1] != inputIds.shape[1])
        {
            throw new ArgumentException(
                $"positionIds has shape [{string.Join(", ", positionIds.shape)}] but must be [batch or 1, sequence] for inputIds " +
                $"of shape [{string.Join(", ", inputIds.shape)}].", nameof(positionIds));
        }

        CheckIds(positionIds, nameof(positionIds), config.MaxPositionEmbeddings, "max_position_embeddings");
    }

    private static void RequireSameShape(Tensor tensor, Tensor inputIds, string name)
    {
        if (!tensor.shape.SequenceEqual(inputIds.shape))
        {
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", tensor.shape)}] but inputIds has shape [{string.Join(", ", inputIds.shape)}].",
                name);
        }
    }

    private static void CheckIds(Tensor ids, string name, long limit, string limitField)
    {
        if (ids.dtype is not (ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException($"{name} must hold integer ids (int64 or int32), got {ids.dtype}.", name);
        }

        long lowest, highest;
        using (NewDisposeScope())
        {
            lowest = ids.min().to(ScalarType.Int64).item<long>();
            highest = ids.max().to(ScalarType.Int64).item<long>();
        }

        if (lowest < 0 || highest >= limit)
        {
            throw new ArgumentOutOfRangeException(
                name, $"{name} holds values in [{lowest}, {highest}], but {limitField} is {limit} (ids must be in [0, {limit})).");
        }
    }
}
