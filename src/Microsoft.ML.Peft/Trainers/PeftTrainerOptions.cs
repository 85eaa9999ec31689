using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The settings every PEFT trainer shares: the label column, the fine-tuning method, and the training run (epochs,
/// batch size, learning rate, validation, early stopping, seed, precision, device, checkpoints, progress). Anything
/// else of <see cref="TrainingOptions"/> can be set through <see cref="ConfigureTraining"/>.
/// </summary>
public abstract class PeftTrainerOptions
{
    /// <summary>The label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// The adapter to train on the frozen base model: any <see cref="PeftConfig"/> (LoRA, IA3, bottleneck adapters, …).
    /// Null fine-tunes every weight (full fine-tuning). Default LoRA with rank 8 on the method's default targets (for
    /// BERT and RoBERTa <c>query</c> and <c>value</c>, for a ResNet its 3×3 convolutions), with the task head trained fully.
    /// </summary>
    public PeftConfig? Peft { get; set; } = new LoraConfig { R = 8 };

    /// <summary>
    /// Merge the trained adapter into the base weights after training, so prediction costs what the base model costs.
    /// False keeps the adapter layers in the network, and so do methods that cannot be merged (bottleneck adapters,
    /// which are non-linear) whatever this says. Either way <see cref="PeftTransformer.ExportAdapter"/> can write the
    /// adapter alone. Default true.
    /// </summary>
    public bool MergeAdapter { get; set; } = true;

    /// <summary>
    /// How <c>mlContext.Model.Save</c> stores the base model: <see cref="BaseModelStorage.Embedded"/> (the default: the
    /// zip needs no other file) or <see cref="BaseModelStorage.Reference"/> (the zip holds what training changed and refers
    /// to the base model by path or Hub id, checking its SHA-256 at load; for many adapters on one base). Reference needs
    /// <see cref="Peft"/> and a base model given by path or Hub id.
    /// </summary>
    public BaseModelStorage BaseModelStorage { get; set; } = BaseModelStorage.Embedded;

    /// <summary>Passes over the training data. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Rows per training batch. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// The peak learning rate. Null takes the engine's default for the method (<see cref="Training.Optimization.LearningRatePolicy"/>:
    /// 3e-4 for LoRA and adapters, 3e-3 for IA3, 2e-5 for full fine-tuning).
    /// </summary>
    public double? LearningRate { get; set; }

    /// <summary>
    /// Rows to validate on after each epoch (same columns as the training data, and for multiclass the same label keys);
    /// null holds out <see cref="ValidationFraction"/> of the training rows instead. A set without rows is refused at <c>Fit</c>.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>
    /// When <see cref="ValidationSet"/> is null, the fraction of training rows held out for validation (a seeded split,
    /// which always leaves at least one training row). Default 0 (no validation). A fraction that holds out no row (of a
    /// single-row data set) is refused at <c>Fit</c>.
    /// </summary>
    public double ValidationFraction { get; set; }

    /// <summary>The validation metric that picks the best epoch and drives early stopping. Default the validation loss.</summary>
    public EvaluationMetric SelectionMetric { get; set; } = EvaluationMetric.Loss;

    /// <summary>Stop after this many epochs without improvement of <see cref="SelectionMetric"/> (needs validation rows); null never stops early. The best epoch's weights are kept.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>The seed of everything random (initial adapter weights, shuffling, split, dropout); null uses the <see cref="MLContext"/>'s seed, or 42 when it has none.</summary>
    public int? Seed { get; set; }

    /// <summary>Float32, or bfloat16 for the frozen base with float32 trainable weights. Default Float32.</summary>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Float32;

    /// <summary>The CUDA device to train on; null uses the <see cref="MLContext"/>'s <c>GpuDeviceId</c> (CPU when that is null too).</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When the GPU is unavailable: true trains on the CPU, false throws; null uses the <see cref="MLContext"/>'s <c>FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>Threads for torch's CPU kernels during training; null uses every core.</summary>
    public int? Threads { get; set; }

    /// <summary>
    /// Where to write training checkpoints (atomically, one folder each); null writes none. Each Fit writes under a
    /// sub-folder named after its training data (<c>data-</c> and 16 hex digits of the data's content fingerprint), so
    /// the folds of <c>CrossValidate</c> share one folder without clashing, and ResumeFromCheckpoint continues the run
    /// of the same data.
    /// </summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Continue from the newest checkpoint in <see cref="CheckpointFolder"/> when there is one. Default false.</summary>
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>Receives a report after every optimizer step (epoch, step, loss, learning rate, throughput, time left).</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Receives log lines (devices, the per-epoch metrics table, checkpoints); null writes them to the <see cref="MLContext"/>'s log.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Stops training at the next step boundary; <c>Fit</c> then throws <see cref="TrainingCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Rows the trained model scores per forward pass in <c>Transform</c>. Default 32.</summary>
    public int InferenceBatchSize { get; set; } = 32;

    /// <summary>
    /// Adjusts the engine's settings after the trainer has filled them in, for settings this class does not expose
    /// (warmup, schedule, gradient accumulation, weight decay, clipping, data-loader threads, …).
    /// </summary>
    public Action<TrainingOptions>? ConfigureTraining { get; set; }

    /// <summary>Checks the settings common to every trainer.</summary>
    /// <param name="hasBaseModelInstance">Whether the base model is an instance in memory rather than a path or Hub id.</param>
    private protected void ValidateCommon(bool hasBaseModelInstance)
    {
        ArgumentException.ThrowIfNullOrEmpty(LabelColumnName, nameof(LabelColumnName));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InferenceBatchSize, nameof(InferenceBatchSize));
        if (LearningRate is { } rate && !(rate > 0 && double.IsFinite(rate)))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), rate, "The learning rate must be positive and finite.");
        }

        if (BaseModelStorage == BaseModelStorage.Reference && (Peft is null || Peft.PeftType == PeftType.FullFineTuning))
        {
            throw new ArgumentException(
                "BaseModelStorage.Reference needs a PEFT method: full fine-tuning changes every base weight, so there is no base model to refer to. Use BaseModelStorage.Embedded.",
                nameof(BaseModelStorage));
        }

        if (BaseModelStorage == BaseModelStorage.Reference && hasBaseModelInstance)
        {
            throw new ArgumentException(
                "BaseModelStorage.Reference needs a base model given as BaseModel (a path or Hub id); a BaseModelInstance in memory has nothing a saved model could refer to.",
                nameof(BaseModelStorage));
        }

        if (!Enum.IsDefined(BaseModelStorage))
        {
            throw new ArgumentOutOfRangeException(nameof(BaseModelStorage), BaseModelStorage, "Use BaseModelStorage.Embedded or BaseModelStorage.Reference.");
        }

        if (EarlyStoppingPatience is not null && ValidationSet is null && ValidationFraction == 0)
        {
            throw new ArgumentException("EarlyStoppingPatience needs validation rows: set ValidationSet or ValidationFraction.", nameof(EarlyStoppingPatience));
        }
    }
}
