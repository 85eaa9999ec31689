using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// Scaled dot-product attention with dropout on the probabilities, for CPU training, that keeps only its inputs for
/// backward: softmax(q·kᵀ·scale + mask) · keep/(1−p) · v. Autograd through the plain operations would keep the
/// probabilities, the bool mask and the dropped probabilities (14 MiB per BERT-base layer at batch 8 × 128 tokens;
/// measured: heap in use after a LoRA forward 608 → 450 MiB); libtorch's memory-saving attention kernel
/// does not take dropout on the CPU. Backward recomputes the probabilities from q and k (one extra q·kᵀ, about 1 % of a
/// layer's FLOPs) and the mask from its seed (<see cref="DropoutMask"/> masks are a pure function of the seed).
/// </summary>
/// <remarks>
/// The forward pass computes exactly what the plain operations compute (the same kernels in the same order, the mask
/// seed drawn from torch's generator as <see cref="FastDropout"/> draws it), so outputs are bit-identical to them and
/// runs stay reproducible; gradients agree to float rounding (softmax backward is written out as P ⊙ (dP − Σ dP ⊙ P)).
/// The inputs are held by this node, not as autograd saved variables, so each layer's are released as soon as its
/// backward has run; backward can run once (no <c>retain_graph</c>).
/// </remarks>
internal sealed class RecomputedDropoutAttention : autograd.SingleTensorFunction<RecomputedDropoutAttention>
{
    // TorchSharp copies a custom backward's results after the callback returns, so the handles returned by one call are
    // disposed at the start of the next call on the same thread (the last call's by the caller's dispose scope): the
    // gradients then live as long as autograd needs them, not until the end of the training step.
    [ThreadStatic]
    private static List<Tensor>? s_returnedLastTime;

    /// <summary>The most probabilities computed at once (256 Ki values, 1 MiB): one batch row of BERT-base at 128 tokens is 192 Ki.</summary>
    private const long ChunkElements = 1 << 18;

    public override string Name => nameof(RecomputedDropoutAttention);

    /// <summary>The attention output (same shape as <paramref name="value"/> but with the query's length).</summary>
    /// <param name="query">[batch, heads, query length, head size].</param>
    /// <param name="key">[batch, heads, key length, head size].</param>
    /// <param name="value">[batch, heads, key length, head size].</param>
    /// <param name="additiveMask">Added to the scores (broadcast), or null.</param>
    /// <param name="dropProbability">The attention-probability dropout, in (0, 1).</param>
    /// <param name="scale">The score scale, usually 1/√(head size).</param>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, double dropProbability, double scale)
    {
        DropoutMask.RequireProbability(dropProbability, nameof(dropProbability));
        return apply(query, key, value, additiveMask!, dropProbability, scale);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        (Tensor query, Tensor key, Tensor value, Tensor? mask, double p, double scale) = Unpack(vars);
        ulong seed = DropoutMask.DrawSeedFromTorchGenerator();
        using var scope = NewDisposeScope();
        using Tensor keep = DropoutMask.DrawKeepMask(ProbabilityShape(query, key), p, seed);
        using Scalar keptScale = 1.0 / (1.0 - p);
        var outputs = new List<Tensor>();
        foreach ((long start, long rows) in BatchChunks(query, key))
        {
            using var chunkScope = NewDisposeScope();
            Tensor probabilities = Probabilities(query.narrow(0, start, rows), key.narrow(0, start, rows), MaskRows(mask, start, rows), scale);
            probabilities.mul_(keep.narrow(0, start, rows)).mul_(keptScale);
            outputs.Add(probabilities.matmul(value.narrow(0, start, rows)).MoveToOuterDisposeScope());
        }

        Tensor output = outputs.Count == 1 ? outputs[0] : cat(outputs, 0);
        if (query.requires_grad || key.requires_grad || value.requires_grad)
        {
            ctx.save_data(nameof(Saved), new Saved(query, key, value, mask, p, scale, seed));
        }

        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        DisposeReturnedLastTime();
        var saved = (Saved)ctx.get_data(nameof(Saved));
        Tensor?[] gradients;
        using (var scope = NewDisposeScope())
        {
            (Tensor query, Tensor key, Tensor value) = saved.Take();
            using Tensor keep = DropoutMask.DrawKeepMask(ProbabilityShape(query, key), saved.DropProbability, saved.Seed);
            using Scalar keptScale = 1.0 / (1.0 - saved.DropProbability);
            using Scalar scoreScale = saved.Scale;
            var chunks = new List<Tensor?[]>();
            foreach ((long start, long rows) in BatchChunks(query, key))
            {
                using var chunkScope = NewDisposeScope();
                Tensor q = query.narrow(0, start, rows), k = key.narrow(0, start, rows), v = value.narrow(0, start, rows);
                Tensor g = grad_output.narrow(0, start, rows), kept = keep.narrow(0, start, rows);
                Tensor probabilities = Probabilities(q, k, MaskRows(saved.Mask, start, rows), saved.Scale);
                Tensor gradValue = probabilities.mul(kept).mul_(keptScale).transpose(-2, -1).matmul(g);
                // d(dropped) → d(probabilities) → d(scores): softmax backward is P ⊙ (dP − Σⱼ dP ⊙ P); dP is reused in place.
                Tensor gradProbabilities = g.matmul(v.transpose(-2, -1)).mul_(kept).mul_(keptScale);
                Tensor weighted = gradProbabilities.mul_(probabilities);
                Tensor rowSums = weighted.sum(-1, keepdim: true);
                Tensor gradScores = weighted.sub_(probabilities.mul_(rowSums)).mul_(scoreScale);
                chunks.Add(
                [
                    saved.NeedsGradient[0] ? gradScores.matmul(k).MoveToOuterDisposeScope() : null,
                    saved.NeedsGradient[1] ? gradScores.transpose(-2, -1).matmul(q).MoveToOuterDisposeScope() : null,
                    saved.NeedsGradient[2] ? gradValue.MoveToOuterDisposeScope() : null,
                ]);
            }

            gradients = new Tensor?[3];
            for (int i = 0; i < 3; i++)
            {
                if (saved.NeedsGradient[i])
                {
                    gradients[i] = chunks.Count == 1 ? chunks[0][i] : cat(chunks.Select(c => c[i]!).ToList(), 0);
                }
            }

            foreach (Tensor? gradient in gradients)
            {
                gradient?.MoveToOuterDisposeScope();
            }

            query.Dispose();
            key.Dispose();
            value.Dispose();
        }

        saved.Mask?.Dispose();
        grad_output.Dispose();
        s_returnedLastTime = gradients.OfType<Tensor>().ToList();
        return [gradients[0]!, gradients[1]!, gradients[2]!, null!, null!, null!];
    }

    private static (Tensor Query, Tensor Key, Tensor Value, Tensor? Mask, double P, double Scale) Unpack(object[] vars) =>
        ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], vars[3] as Tensor, (double)vars[4], (double)vars[5]);

    /// <summary>[batch, heads, queries, keys]: the shape of the probabilities (and of the dropout mask, drawn whole so that chunking does not change it).</summary>
    private static long[] ProbabilityShape(Tensor query, Tensor key) => [query.shape[0], query.shape[1], query.shape[2], key.shape[2]];

    /// <summary>
    /// The batch rows in groups whose probabilities hold at most <see cref="ChunkElements"/> values (at least one row).
    /// Working through the batch in such groups keeps the softmax-sized temporaries (6 MiB per BERT-base layer at
    /// batch 8 × 128 tokens, several at once in backward) small enough to reuse the allocator's holes instead of
    /// growing the heap: measured on LoRA BERT-base (benchmark step-row, batch 8 × 128), peak RSS 1533–1551 → 1354–1374 MiB
    /// with forward and backward chunked, step time unchanged. Each matrix of a
    /// batched matmul and each softmax row is computed as without chunks, so the results are the same.
    /// </summary>
    private static IEnumerable<(long Start, long Rows)> BatchChunks(Tensor query, Tensor key)
    {
        long batch = query.shape[0];
        long perRow = Math.Max(1, query.shape[1] * query.shape[2] * key.shape[2]);
        long rows = Math.Clamp(ChunkElements / perRow, 1, Math.Max(batch, 1));
        for (long start = 0; start < batch; start += rows)
        {
            yield return (start, Math.Min(rows, batch - start));
        }
    }

    /// <summary>The mask rows of batch rows [start, start + rows); a mask broadcast over the batch (first dimension 1) as it is.</summary>
    private static Tensor? MaskRows(Tensor? mask, long start, long rows) =>
        mask is null || mask.dim() < 4 || mask.shape[0] == 1 ? mask : mask.narrow(0, start, rows);

    /// <summary>softmax(q·kᵀ·scale + mask), with the same kernels as the plain path (the matmul output is scaled in place).</summary>
    private static Tensor Probabilities(Tensor query, Tensor key, Tensor? mask, double scale)
    {
        using var scope = NewDisposeScope();
        using Scalar scoreScale = scale;
        Tensor scores = query.matmul(key.transpose(-2, -1)).mul_(scoreScale);
        if (mask is not null)
        {
            scores = scores.PlusInPlace(mask);
        }

        return scores.softmax(-1).MoveToOuterDisposeScope();
    }

    private static void DisposeReturnedLastTime()
    {
        if (s_returnedLastTime is { } returned)
        {
            foreach (Tensor gradient in returned)
            {
                gradient.Dispose();
            }

            s_returnedLastTime = null;
        }
    }

    /// <summary>The inputs kept for backward: own handles, outside any dispose scope, released by the one backward call.</summary>
    private sealed class Saved(Tensor query, Tensor key, Tensor value, Tensor? mask, double dropProbability, double scale, ulong seed)
    {
        // Aliases made while autograd is off (inside forward) share the storage but not the graph.
        private Tensor? _query = query.alias().DetachFromDisposeScope();
        private Tensor? _key = key.alias().DetachFromDisposeScope();
        private Tensor? _value = value.alias().DetachFromDisposeScope();

        public Tensor? Mask { get; } = mask?.alias().DetachFromDisposeScope();

        /// <summary>Whether query, key and value needed gradients (the aliases do not say).</summary>
        public bool[] NeedsGradient { get; } = [query.requires_grad, key.requires_grad, value.requires_grad];

        public double DropProbability { get; } = dropProbability;

        public double Scale { get; } = scale;

        public ulong Seed { get; } = seed;

        /// <summary>Hands the inputs over to the caller (who disposes them); a second call fails: backward runs once.</summary>
        public (Tensor Query, Tensor Key, Tensor Value) Take()
        {
            if (_query is null || _key is null || _value is null)
            {
                throw new InvalidOperationException(
                    $"{nameof(RecomputedDropoutAttention)} ran backward a second time; it releases its inputs after the first (backward with retain_graph is not supported).");
            }

            (Tensor, Tensor, Tensor) inputs = (_query, _key, _value);
            _query = _key = _value = null;
            return inputs;
        }
    }
}
