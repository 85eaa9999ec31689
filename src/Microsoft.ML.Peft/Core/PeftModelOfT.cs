using Microsoft.ML.Peft.Tuners;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>A <see cref="PeftModel"/> that knows the type of the model it adapts.</summary>
/// <typeparam name="TModel">The model type, for example a ResNet or a BERT classifier.</typeparam>
public sealed class PeftModel<TModel> : PeftModel
    where TModel : torch.nn.Module
{
    internal PeftModel(TunerModel tuner)
        : base(tuner)
    {
    }

    /// <summary>The adapted model (the same object that was passed in; its forward pass now runs through the adapters).</summary>
    public new TModel Model => (TModel)base.Model;

    /// <summary>
    /// Merges the active adapter and returns the model with plain layers (PEFT's <c>merge_and_unload</c>); see
    /// <see cref="PeftModel.MergeAndUnload"/>.
    /// </summary>
    public new TModel MergeAndUnload() => (TModel)base.MergeAndUnload();

    /// <summary>Removes the adapter layers without merging and returns the model (PEFT's <c>unload</c>).</summary>
    public new TModel Unload() => (TModel)base.Unload();
}
