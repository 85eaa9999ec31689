using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>What a task computes for one batch.</summary>
/// <param name="Loss">The scalar loss, averaged over the batch's rows; float32 and part of the autograd graph when training.</param>
/// <param name="Predictions">Logits [B, classes] (classification) or predicted values [B] (regression).</param>
public readonly record struct TaskOutput(Tensor Loss, Tensor Predictions);
