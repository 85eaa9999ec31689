using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// The <c>padding_idx</c> of the embedding tables the library's models create. TorchSharp's <see cref="Embedding"/>
/// applies it (the padding row gets no gradient) but does not expose it, and LoRA on an embedding needs it to leave
/// the padding column of <c>lora_embedding_A</c> untrained too, as PEFT's <c>F.embedding(..., padding_idx=...)</c> does.
/// </summary>
internal static class EmbeddingPadding
{
    private static readonly ConditionalWeakTable<Embedding, StrongBox<long>> PaddingIndices = new();

    /// <summary>An embedding table whose row <paramref name="paddingIndex"/> (if any) gets no gradient, remembered for <see cref="Of"/>.</summary>
    public static Embedding Create(long count, long dimensions, long? paddingIndex)
    {
        Embedding embedding = torch.nn.Embedding(count, dimensions, padding_idx: paddingIndex);
        if (paddingIndex is long index)
        {
            PaddingIndices.Add(embedding, new StrongBox<long>(index));
        }

        return embedding;
    }

    /// <summary>The padding index <paramref name="embedding"/> was created with here, or null (none, or created elsewhere).</summary>
    public static long? Of(Embedding embedding) => PaddingIndices.TryGetValue(embedding, out StrongBox<long>? index) ? index.Value : null;
}
