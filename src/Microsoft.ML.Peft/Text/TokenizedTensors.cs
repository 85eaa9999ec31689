using TorchSharp;

namespace Microsoft.ML.Peft.Text;

/// <summary>The int64 tensors [B, T] of a <see cref="TokenizedBatch"/>; disposing this disposes all three.</summary>
public sealed class TokenizedTensors : IDisposable
{
    internal TokenizedTensors(torch.Tensor inputIds, torch.Tensor attentionMask, torch.Tensor tokenTypeIds)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary>Token ids, int64 [B, T].</summary>
    public torch.Tensor InputIds { get; }

    /// <summary>1 for real tokens and 0 for padding, int64 [B, T].</summary>
    public torch.Tensor AttentionMask { get; }

    /// <summary>Token type ids, int64 [B, T].</summary>
    public torch.Tensor TokenTypeIds { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }
}
