using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>transformers' <c>BertLayer</c>: attention, then the feed-forward block (<c>intermediate</c>, <c>output</c>).</summary>
internal sealed class BertLayer : nn.Module
{
    public BertLayer(BertConfig config)
        : base(nameof(BertLayer))
    {
        register_module("attention", new BertAttention(config));
        register_module("intermediate", new BertIntermediate(config));
        register_module("output", new BertResidualOutput(config, config.IntermediateSize));
    }

    /// <param name="hiddenStates">[batch, sequence, hidden].</param>
    /// <param name="additiveMask">The additive key mask, or null.</param>
    /// <param name="firstTokenOnly">
    /// Whether to compute the first position's output only ([batch, 1, hidden]): it still attends to every position, and
    /// everything after attention works per position, so it equals the first row of the full output.
    /// </param>
    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask, bool firstTokenOnly = false)
    {
        using Tensor attended = this.Child<BertAttention>("attention").Forward(hiddenStates, additiveMask, firstTokenOnly);
        using Tensor expanded = this.Child<BertIntermediate>("intermediate").Forward(attended);
        return this.Child<BertResidualOutput>("output").Forward(expanded, attended);
    }
}
