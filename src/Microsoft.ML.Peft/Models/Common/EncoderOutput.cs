using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// What a BERT-style encoder returns (transformers' <c>BaseModelOutputWithPooling</c>): the last layer's hidden states,
/// the pooled first-token vector when the model has a pooler, and optionally every layer's hidden states.
/// Disposing it disposes all of its tensors.
/// </summary>
public sealed class EncoderOutput : IDisposable
{
    /// <summary>Creates the output; it takes ownership of the tensors.</summary>
    public EncoderOutput(Tensor lastHiddenState, Tensor? poolerOutput, IReadOnlyList<Tensor>? hiddenStates)
    {
        LastHiddenState = lastHiddenState ?? throw new ArgumentNullException(nameof(lastHiddenState));
        PoolerOutput = poolerOutput;
        HiddenStates = hiddenStates;
    }

    /// <summary>The last layer's hidden states, [batch, sequence, hidden].</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>tanh(dense(first token)) from the pooler, [batch, hidden]; null when the model has no pooler.</summary>
    public Tensor? PoolerOutput { get; }

    /// <summary>
    /// When requested: the embedding output followed by each layer's output (num_hidden_layers + 1 tensors, the last
    /// being <see cref="LastHiddenState"/>); otherwise null.
    /// </summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (Tensor tensor in new[] { LastHiddenState, PoolerOutput }.Concat(HiddenStates ?? []).OfType<Tensor>())
        {
            if (seen.Add(tensor))
            {
                tensor.Dispose();
            }
        }
    }
}
