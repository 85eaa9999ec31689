using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training;

/// <summary>
/// The training engine: fits the trainable parameters of a TorchSharp module (those with <c>requires_grad</c>, so it
/// serves LoRA, adapters, head-only and full fine-tuning alike) with AdamW, a warmup-then-decay schedule, gradient
/// clipping and accumulation; evaluates each epoch, stops early and restores the best weights; writes atomic
/// checkpoints it can resume from bit for bit; and reports progress.
/// </summary>
/// <remarks>
/// <para>
/// Each micro-batch runs in its own dispose scope (so does each evaluation batch), and a full garbage collection runs
/// every <see cref="TrainingOptions.CollectGarbageEveryNSteps"/> steps, so resident memory stays flat over long runs.
/// </para>
/// <para>
/// Dropout draws from torch's global generator, which the loop re-seeds from (seed, epoch, batch) before every
/// micro-batch, and the loop sets torch's global thread count for the duration of <see cref="Fit"/>: run one
/// <see cref="Fit"/> per process at a time, and do not draw from torch's generator on other threads meanwhile, or
/// results stop being reproducible.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var data = TextDataSet.ForClassification(tokenizer, texts, labels);
/// var loop = new TrainingLoop(new TrainingOptions { Epochs = 3, LearningRate = 3e-4, ValidationFraction = 0.1 });
/// TrainingResult result = loop.Fit(model, TrainingTasks.SequenceClassification(), data);
/// </code>
/// </example>
public sealed class TrainingLoop
{
    /// <summary>Creates the engine with <paramref name="options"/> (kept by reference; do not change them during <see cref="Fit"/>).</summary>
    public TrainingLoop(TrainingOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }

    /// <summary>
    /// Trains <paramref name="model"/> in place on <paramref name="trainData"/>, validating on
    /// <paramref name="validationData"/> (or on a held-out <see cref="TrainingOptions.ValidationFraction"/> of the
    /// training rows) after each epoch; null <paramref name="validationData"/> and no fraction train without
    /// validation. An empty validation set is refused rather than scored: it has no loss to compare epochs by. The
    /// model is moved to the training device and stays there.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An option is invalid; the model has no trainable parameter; the training data or the given validation data has
    /// no rows; or <see cref="TrainingOptions.ValidationFraction"/> holds out no row.
    /// </exception>
    /// <exception cref="InvalidOperationException">The checkpoint folder holds another run's checkpoints, or a checkpoint does not fit this run.</exception>
    /// <exception cref="TrainingCanceledException">The cancellation token fired; training stopped at a step boundary.</exception>
    public TrainingResult Fit<TBatch>(nn.Module model, ITrainingTask<TBatch> task, ITrainingData<TBatch> trainData, ITrainingData<TBatch>? validationData = null)
        where TBatch : ITrainingBatch
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(trainData);
        Options.Validate();
        return new TrainingRun<TBatch>(Options, model, task, trainData, validationData).Run();
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="data"/> in eval mode without gradients, on the device of
    /// the model's first parameter, in batches of <see cref="TrainingOptions.EvaluationBatchSize"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> has no rows (there is no loss or accuracy of nothing).</exception>
    public EvaluationResult Evaluate<TBatch>(nn.Module model, ITrainingTask<TBatch> task, ITrainingData<TBatch> data)
        where TBatch : ITrainingBatch
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            throw new ArgumentException("The evaluation data has no rows; there is nothing to score.", nameof(data));
        }

        Device device = model.parameters().FirstOrDefault()?.device ?? CPU;
        return Evaluator.Evaluate(model, task, data, device, Options);
    }
}
