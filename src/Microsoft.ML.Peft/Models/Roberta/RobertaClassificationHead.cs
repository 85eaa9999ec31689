using Microsoft.ML.Peft.Models.Common;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Roberta;

/// <summary>
/// transformers' <c>RobertaClassificationHead</c>: on the first token (&lt;s&gt;),
/// out_proj(dropout(tanh(dense(dropout(x))))).
/// </summary>
[ResolvesChildrenByName]
internal sealed class RobertaClassificationHead : nn.Module
{
    public RobertaClassificationHead(RobertaConfig config)
        : base(nameof(RobertaClassificationHead))
    {
        register_module("dense", nn.Linear(config.HiddenSize, config.HiddenSize));
        register_module("dropout", new FastDropout(config.EffectiveClassifierDropout));
        register_module("out_proj", nn.Linear(config.HiddenSize, config.NumLabels));
        HuggingFaceInitialization.InitializeLinearsAndLayerNorms(this, config.InitializerRange);
    }

    /// <param name="hiddenStates">[batch, sequence, hidden] encoder output.</param>
    public Tensor Forward(Tensor hiddenStates)
    {
        using var scope = NewDisposeScope();
        Tensor first = hiddenStates.select(1, 0);
        Tensor dense = this.Call("dense", this.Call("dropout", first));
        Tensor activated = this.Call("dropout", dense.tanh());
        return this.Call("out_proj", activated).MoveToOuterDisposeScope();
    }
}
