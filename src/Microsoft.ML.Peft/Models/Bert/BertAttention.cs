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

    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask)
    {
        using Tensor attended = this.Child<BertSelfAttention>("self").Forward(hiddenStates, additiveMask);
        return this.Child<BertResidualOutput>("output").Forward(attended, hiddenStates);
    }
}
