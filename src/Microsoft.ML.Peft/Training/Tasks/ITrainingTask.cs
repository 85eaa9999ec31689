using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>Turns a batch into a loss to minimise and per-row predictions to score.</summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <remarks>
/// <see cref="Run"/> is called on the training thread inside a dispose scope (one per micro-batch and per evaluation
/// batch): tensors it creates are freed when the step ends, so it does not need to dispose them itself.
/// </remarks>
public interface ITrainingTask<in TBatch>
    where TBatch : ITrainingBatch
{
    /// <summary>Classification or regression: decides the evaluation metrics.</summary>
    TaskKind Kind { get; }

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="batch"/> (moving inputs to <paramref name="device"/>) and returns
    /// the mean loss over the batch's rows with its predictions: logits [B, classes] for classification, values [B]
    /// for regression.
    /// </summary>
    TaskOutput Run(nn.Module model, TBatch batch, Device device);
}
