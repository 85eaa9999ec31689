using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>Builds the additive attention mask that transformers' BERT-style encoders add to the attention scores.</summary>
internal static class AttentionMasks
{
    /// <summary>
    /// Turns a [batch, sequence] padding mask (1 = attend, 0 = padding; any numeric or bool dtype) into the additive
    /// [batch, 1, 1, sequence] mask of <paramref name="dtype"/>: 0 where a key may be attended and the dtype's most
    /// negative finite value where it may not (transformers' <c>get_extended_attention_mask</c>). Padded query
    /// positions still get outputs; only padded keys are hidden.
    /// </summary>
    public static Tensor ToAdditiveKeyMask(Tensor attentionMask, long[] inputShape, ScalarType dtype)
    {
        if (attentionMask.dim() != 2 || !attentionMask.shape.SequenceEqual(inputShape))
        {
            throw new ArgumentException(
                $"attentionMask has shape [{string.Join(", ", attentionMask.shape)}] but inputIds has shape " +
                $"[{string.Join(", ", inputShape)}]; it must be [batch, sequence] like inputIds.",
                nameof(attentionMask));
        }

        using var scope = NewDisposeScope();
        Tensor keep = attentionMask.to(dtype).unsqueeze(1).unsqueeze(1);
        // Explicit, disposed Scalars: an implicit one can be finalized while libtorch still reads it.
        using Scalar one = 1.0;
        using Scalar lowest = finfo(dtype).min;
        Tensor blocked = keep.neg().add_(one, one);
        return blocked.mul_(lowest).MoveToOuterDisposeScope();
    }
}
