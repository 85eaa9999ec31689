using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>transformers' <c>BertAttention</c>: self-attention (<c>self</c>) followed by its residual output (<c>output</c>).</summary>
internal sealed class BertAttention : nn.Module
{
    public BertAttention(BertConfig config)
        : base(nameof(BertAttention))
    {
        register_module("self", new BertSelfAttention(config));
        register_module("output", new BertResidualOutput(config, config.HiddenSize));
    }

    /// <param name="hiddenStates">[batch, sequence, hidden].</param>
    /// <param name="additiveMask">The additive key mask, or null.</param>
    /// <param name="firstTokenOnly">Whether to compute the first position's output only ([batch, 1, hidden]).</param>
    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask, bool firstTokenOnly = false)
    {
        using Tensor? firstToken = firstTokenOnly ? hiddenStates.narrow(1, 0, 1) : null;
        using Tensor attended = this.Child<BertSelfAttention>("self").Forward(hiddenStates, additiveMask, firstToken);
        return this.Child<BertResidualOutput>("output").Forward(attended, firstToken ?? hiddenStates);
    }
}
