using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>
/// Regression with mean squared error. The forward function maps (model, batch, device) to predictions [B] or
/// [B, 1] (a one-label sequence-classification head), scored in float32.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
public sealed class RegressionTask<TBatch> : ITrainingTask<TBatch>
    where TBatch : ITrainingBatch
{
    private readonly Func<nn.Module, TBatch, Device, Tensor> _forward;

    /// <summary>Creates the task from a function computing predictions.</summary>
    public RegressionTask(Func<nn.Module, TBatch, Device, Tensor> forward)
    {
        _forward = forward ?? throw new ArgumentNullException(nameof(forward));
    }

    /// <inheritdoc />
    public TaskKind Kind => TaskKind.Regression;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The batch has no targets or the predictions do not have one value per row.</exception>
    public TaskOutput Run(nn.Module model, TBatch batch, Device device)
    {
        IReadOnlyList<float> targets = batch.Targets
            ?? throw new InvalidOperationException("A regression task needs targets, but the batch has none (is the data set built for classification?).");
        Tensor output = _forward(model, batch, device);
        if (output.numel() != batch.Count || output.dim() > 2 || (output.dim() == 2 && output.shape[1] != 1))
        {
            throw new InvalidOperationException(
                $"The model returned shape [{string.Join(", ", output.shape)}] for a batch of {batch.Count} rows; expected [{batch.Count}] or [{batch.Count}, 1].");
        }

        Tensor predictions = output.to(ScalarType.Float32).reshape(batch.Count);
        Tensor target = tensor(targets.ToArray(), ScalarType.Float32, device);
        return new TaskOutput(nn.functional.mse_loss(predictions, target), predictions);
    }
}
