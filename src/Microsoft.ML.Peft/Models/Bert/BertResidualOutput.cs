using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// transformers' <c>BertSelfOutput</c> and <c>BertOutput</c>: LayerNorm(dropout(dense(x)) + residual). They differ only in
/// the dense layer's input width (hidden for the attention output, intermediate for the feed-forward output). A dense
/// layer wrapped by a bottleneck adapter (<see cref="IAddsAfterBranchDropout"/>) adds the adapter after the dropout.
/// </summary>
[ResolvesChildrenByName]
internal sealed class BertResidualOutput : nn.Module
{
    public BertResidualOutput(BertConfig config, int inputSize)
        : base(nameof(BertResidualOutput))
    {
        register_module("dense", nn.Linear(inputSize, config.HiddenSize));
        register_module("LayerNorm", nn.LayerNorm(config.HiddenSize, config.LayerNormEps));
        // In place: the dense layer (or an adapter wrapping it) does not keep its output for backward.
        register_module("dropout", new FastDropout(config.HiddenDropoutProb, inPlace: true));
    }

    public Tensor Forward(Tensor hiddenStates, Tensor residual)
    {
        using var scope = NewDisposeScope();
        Tensor projected = this.Child<nn.Module>("dense") is IAddsAfterBranchDropout adapted
            ? adapted.Forward(hiddenStates, x => this.Call("dropout", x)) // a bottleneck adapter: dense → dropout → adapter
            : this.Call("dropout", this.Call("dense", hiddenStates));
        Tensor sum = projected.PlusInPlace(residual); // neither the dense layer nor dropout keeps its output for backward
        return this.Call("LayerNorm", sum).MoveToOuterDisposeScope();
    }
}
