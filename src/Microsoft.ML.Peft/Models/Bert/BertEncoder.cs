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
    /// <param name="hiddenStates">[batch, sequence, hidden] embeddings.</param>
    /// <param name="additiveMask">The additive key mask, or null.</param>
    /// <param name="allHiddenStates">Receives each layer's output, or null.</param>
    /// <param name="firstTokenOnly">
    /// Whether the last layer computes the first position's output only (the result is then [batch, 1, hidden]).
    /// </param>
    public Tensor Forward(Tensor hiddenStates, Tensor? additiveMask, List<Tensor>? allHiddenStates, bool firstTokenOnly = false)
    {
        Tensor current = hiddenStates;
        var layers = this.Child<ModuleList<BertLayer>>("layer");
        for (int index = 0; index < layers.Count; index++)
        {
            Tensor next = layers[index].Forward(current, additiveMask, firstTokenOnly && index == layers.Count - 1);
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
