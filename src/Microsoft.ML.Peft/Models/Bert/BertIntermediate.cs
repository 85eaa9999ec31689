using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>transformers' <c>BertIntermediate</c>: the feed-forward expansion, activation(dense(x)).</summary>
[ResolvesChildrenByName]
internal sealed class BertIntermediate : nn.Module
{
    private readonly Func<Tensor, Tensor> _activation;

    public BertIntermediate(BertConfig config)
        : base(nameof(BertIntermediate))
    {
        _activation = HiddenActivations.Resolve(config.HiddenAct);
        register_module("dense", nn.Linear(config.HiddenSize, config.IntermediateSize));
    }

    public Tensor Forward(Tensor hiddenStates)
    {
        using Tensor projected = this.Call("dense", hiddenStates);
        return _activation(projected);
    }
}
