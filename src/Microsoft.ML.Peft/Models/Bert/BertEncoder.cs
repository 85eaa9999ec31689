using Microsoft.ML.Peft.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>transformers' <c>BertEncoder</c>: the stack of layers, registered as <c>layer.0</c>, <c>layer.1</c>, ...</summary>
internal sealed class BertEncoder : nn.Module
{
    public BertEncoder(BertConfig config)
        : base(nameof(BertEncoder))
    {
        BertLayer[] layers = Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray();
        register_module("layer", nn.ModuleList(layers));
    }

    /// <summary>Runs every layer; when <paramref name="allHiddenStates"/> is given, each layer's output is appended to it.</summary>
    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask, List<Tensor>? allHiddenStates)
    {
        Tensor current = hiddenStates;
        foreach (BertLayer layer in this.Child<ModuleList<BertLayer>>("layer"))
        {
            Tensor next = layer.Forward(current, additiveMask);
            if (allHiddenStates is null && !ReferenceEquals(current, hiddenStates))
            {
                current.Dispose();
            }

            allHiddenStates?.Add(next);
            current = next;
        }

        return current;
    }
}
