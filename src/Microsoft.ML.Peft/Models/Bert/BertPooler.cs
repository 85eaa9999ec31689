using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>transformers' <c>BertPooler</c>: tanh(dense(hidden state of the first token)).</summary>
[ResolvesChildrenByName]
internal sealed class BertPooler : nn.Module
{
    public BertPooler(BertConfig config)
        : base(nameof(BertPooler))
    {
        register_module("dense", nn.Linear(config.HiddenSize, config.HiddenSize));
    }

    public Tensor Forward(Tensor hiddenStates)
    {
        using Tensor first = hiddenStates.select(1, 0);
        using Tensor projected = this.Call("dense", first);
        return projected.tanh();
    }
}
