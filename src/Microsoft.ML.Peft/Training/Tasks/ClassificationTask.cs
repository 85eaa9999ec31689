using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>
/// Classification with cross-entropy over logits. The forward function maps (model, batch, device) to logits
/// [B, classes]; logits of any floating dtype (bfloat16 under mixed precision) are scored in float32.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
public sealed class ClassificationTask<TBatch> : ITrainingTask<TBatch>
    where TBatch : ITrainingBatch
{
    private readonly Func<nn.Module, TBatch, Device, Tensor> _forward;

    /// <summary>Creates the task from a function computing logits.</summary>
    public ClassificationTask(Func<nn.Module, TBatch, Device, Tensor> forward)
    {
        _forward = forward ?? throw new ArgumentNullException(nameof(forward));
    }

    /// <inheritdoc />
    public TaskKind Kind => TaskKind.Classification;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The batch has no class labels, the logits are not [B, classes], or a label is out of range.</exception>
    public TaskOutput Run(nn.Module model, TBatch batch, Device device)
    {
        IReadOnlyList<int> labels = batch.ClassLabels
            ?? throw new InvalidOperationException("A classification task needs class labels, but the batch has none (is the data set built for regression?).");
        Tensor logits = _forward(model, batch, device);
        if (logits.dim() != 2 || logits.shape[0] != batch.Count)
        {
            throw new InvalidOperationException(
                $"The model returned logits of shape [{string.Join(", ", logits.shape)}] for a batch of {batch.Count} rows; expected [{batch.Count}, classes].");
        }

        long classes = logits.shape[1];
        int bad = -1;
        for (int i = 0; i < labels.Count && bad < 0; i++)
        {
            bad = labels[i] < 0 || labels[i] >= classes ? i : -1;
        }

        if (bad >= 0)
        {
            throw new InvalidOperationException(
                $"Row {batch.RowIndices[bad]} has label {labels[bad]} but the model has {classes} outputs (labels must be in [0, {classes})).");
        }

        Tensor target = tensor(labels.Select(l => (long)l).ToArray(), ScalarType.Int64, device);
        Tensor loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32), target);
        return new TaskOutput(loss, logits);
    }
}
