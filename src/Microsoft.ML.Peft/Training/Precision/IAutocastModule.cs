using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Precision;

/// <summary>
/// A module with its own trainable float32 weights that, while <see cref="MixedPrecision"/> is applied, multiplies them
/// in the activations' reduced dtype, as PyTorch's autocast does for matrix products: the weights are cast down for
/// the product, not the activations up. The cast is differentiable, so gradients and optimizer state stay float32.
/// </summary>
/// <remarks>
/// Without it, a float32 adapter next to a bfloat16 base casts every activation it reads to float32 (and keeps that
/// copy for its backward), and multiplies at the float32 rate. <see cref="MixedPrecision"/> sets
/// <see cref="AutocastType"/> on every such module of the model it is applied to and clears it when disposed.
/// </remarks>
internal interface IAutocastModule
{
    /// <summary>The dtype activations travel in while mixed precision is applied; <c>null</c> otherwise.</summary>
    ScalarType? AutocastType { get; set; }
}
