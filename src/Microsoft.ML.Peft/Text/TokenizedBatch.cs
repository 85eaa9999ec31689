using TorchSharp;

namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Encoded rows padded (on the right) to the longest row of the batch, as flat row-major arrays of shape
/// [<see cref="BatchSize"/>, <see cref="SequenceLength"/>], ready to become int64 tensors.
/// </summary>
public sealed class TokenizedBatch
{
    private readonly long[] _inputIds;
    private readonly long[] _attentionMask;
    private readonly long[] _tokenTypeIds;
    private readonly int[] _lengths;

    private TokenizedBatch(int batchSize, int sequenceLength, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int[] lengths)
    {
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _inputIds = inputIds;
        _attentionMask = attentionMask;
        _tokenTypeIds = tokenTypeIds;
        _lengths = lengths;
    }

    /// <summary>The number of rows (B).</summary>
    public int BatchSize { get; }

    /// <summary>The padded length of every row (T): the length of the longest row.</summary>
    public int SequenceLength { get; }

    /// <summary>Token ids, B×T row-major; padding positions hold the tokenizer's padding id.</summary>
    public IReadOnlyList<long> InputIds => _inputIds;

    /// <summary>1 for real tokens, 0 for padding, B×T row-major.</summary>
    public IReadOnlyList<long> AttentionMask => _attentionMask;

    /// <summary>Token type ids, B×T row-major; padding positions hold 0.</summary>
    public IReadOnlyList<long> TokenTypeIds => _tokenTypeIds;

    /// <summary>The unpadded length of each row.</summary>
    public IReadOnlyList<int> Lengths => _lengths;

    /// <summary>The ids of row <paramref name="row"/>, padding included.</summary>
    public ReadOnlySpan<long> GetInputIds(int row) => RowOf(_inputIds, row);

    /// <summary>The attention mask of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<long> GetAttentionMask(int row) => RowOf(_attentionMask, row);

    /// <summary>The token type ids of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<long> GetTokenTypeIds(int row) => RowOf(_tokenTypeIds, row);

    /// <summary>
    /// Pads already encoded rows to the longest of them. Use this to tokenize a data set once and batch it later.
    /// </summary>
    /// <param name="rows">The encoded rows.</param>
    /// <param name="paddingTokenId">The id written into padding positions (<see cref="ITextTokenizer.PaddingTokenId"/>).</param>
    public static TokenizedBatch Pad(IReadOnlyList<TokenizedText> rows, int paddingTokenId)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int batchSize = rows.Count;
        int sequenceLength = 0;
        for (int i = 0; i < batchSize; i++)
        {
            TokenizedText row = rows[i] ?? throw new ArgumentException($"Row {i} of the batch is null.", nameof(rows));
            sequenceLength = Math.Max(sequenceLength, row.Length);
        }

        var inputIds = new long[batchSize * sequenceLength];
        var attentionMask = new long[inputIds.Length];
        var tokenTypeIds = new long[inputIds.Length];
        var lengths = new int[batchSize];
        Array.Fill(inputIds, paddingTokenId);
        for (int i = 0; i < batchSize; i++)
        {
            TokenizedText row = rows[i];
            int offset = i * sequenceLength;
            ReadOnlySpan<int> ids = row.InputIdSpan;
            ReadOnlySpan<int> types = row.TokenTypeIdSpan;
            for (int t = 0; t < ids.Length; t++)
            {
                inputIds[offset + t] = ids[t];
                tokenTypeIds[offset + t] = types[t];
                attentionMask[offset + t] = 1;
            }

            lengths[i] = ids.Length;
        }

        return new TokenizedBatch(batchSize, sequenceLength, inputIds, attentionMask, tokenTypeIds, lengths);
    }

    /// <summary>
    /// Copies the batch into int64 tensors of shape [B, T] on <paramref name="device"/> (CPU when null).
    /// The caller owns (and disposes) the result.
    /// </summary>
    public TokenizedTensors ToTensors(torch.Device? device = null)
    {
        long[] shape = [BatchSize, SequenceLength];
        torch.Tensor? inputIds = null;
        torch.Tensor? attentionMask = null;
        torch.Tensor? tokenTypeIds = null;
        try
        {
            inputIds = ToTensor(_inputIds, shape, device);
            attentionMask = ToTensor(_attentionMask, shape, device);
            tokenTypeIds = ToTensor(_tokenTypeIds, shape, device);
            return new TokenizedTensors(inputIds, attentionMask, tokenTypeIds);
        }
        catch
        {
            inputIds?.Dispose();
            attentionMask?.Dispose();
            tokenTypeIds?.Dispose();
            throw;
        }
    }

    private static torch.Tensor ToTensor(long[] data, long[] shape, torch.Device? device)
    {
        torch.Tensor onCpu = torch.tensor(data, shape, torch.int64);
        if (device is null || device.type == DeviceType.CPU)
        {
            return onCpu;
        }

        using (onCpu)
        {
            return onCpu.to(device);
        }
    }

    private ReadOnlySpan<long> RowOf(long[] data, int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, BatchSize);
        return data.AsSpan(row * SequenceLength, SequenceLength);
    }
}
