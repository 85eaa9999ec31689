using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Optimization;
using Microsoft.ML.Peft.Training.Precision;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training;

/// <summary>Settings of <see cref="TrainingLoop"/>. Defaults follow Hugging Face's Trainer unless noted.</summary>
public sealed class TrainingOptions
{
    /// <summary>Passes over the training data. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Rows per micro-batch (per forward/backward). Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Rows per evaluation batch; null uses <see cref="BatchSize"/>.</summary>
    public int? EvaluationBatchSize { get; set; }

    /// <summary>
    /// Micro-batches whose gradients are summed before each optimizer step; the effective batch is
    /// <see cref="BatchSize"/> × this. Each micro-batch's mean loss is weighted by its share of the step's rows, so the
    /// update equals that of one big batch. Default 1.
    /// </summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>The peak learning rate; null takes <see cref="LearningRatePolicy"/>'s value for <see cref="Method"/>.</summary>
    public double? LearningRate { get; set; }

    /// <summary>The fine-tuning method, used for the default learning rate when <see cref="LearningRate"/> is null.</summary>
    public FineTuningMethod? Method { get; set; }

    /// <summary>The per-method default learning rates. Default <see cref="LearningRatePolicy.Default"/>.</summary>
    public LearningRatePolicy LearningRatePolicy { get; set; } = LearningRatePolicy.Default;

    /// <summary>The decay after warmup. Default linear.</summary>
    public LearningRateScheduleKind Schedule { get; set; } = LearningRateScheduleKind.Linear;

    /// <summary>The fraction of all optimizer steps spent warming up (rounded up). Default 0; ignored when <see cref="WarmupSteps"/> is set.</summary>
    public double WarmupRatio { get; set; }

    /// <summary>The number of warmup steps; overrides <see cref="WarmupRatio"/>.</summary>
    public long? WarmupSteps { get; set; }

    /// <summary>AdamW's β₁, β₂, ε and weight decay. Default β = (0.9, 0.999), ε = 1e-8, weight decay 0.01.</summary>
    public AdamWOptions Optimizer { get; set; } = new();

    /// <summary>Which parameters skip weight decay; null uses <see cref="WeightDecayRule.IsExcludedByDefault"/> (biases, norm weights).</summary>
    public Func<string, Tensor, bool>? ExcludeFromWeightDecay { get; set; }

    /// <summary>The global gradient-norm limit; null or 0 disables clipping. Default 1.0.</summary>
    public double? MaxGradientNorm { get; set; } = 1.0;

    /// <summary>
    /// The seed of everything random: shuffling, the validation split, augmentation and dropout (torch's generator is
    /// re-seeded from the seed and the data position before each micro-batch). Default 42.
    /// </summary>
    public long Seed { get; set; } = 42;

    /// <summary>Whether training rows are shuffled each epoch. Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// Length bucketing: rows are sorted by length within windows of this many batches of shuffled rows, to cut
    /// padding; 0 disables it. Only used for data with lengths (text). Default 50. As in Hugging Face's
    /// <c>group_by_length</c>, a window never holds more than a quarter of the epoch's batches (at least one batch), so
    /// the batches of a small data set still change from epoch to epoch.
    /// </summary>
    public int LengthBucketWindow { get; set; } = 50;

    /// <summary>
    /// When no validation set is given, the fraction of training rows held out for validation (seeded split, rounded
    /// as <see cref="Data.DataSplit.Split"/> describes: at least one row, and never the last training row). Default 0
    /// (none). A fraction that holds out no row (a one-row training set) is refused when <see cref="TrainingLoop.Fit"/>
    /// starts rather than scored as an empty set; set 0 to train without validation.
    /// </summary>
    public double ValidationFraction { get; set; }

    /// <summary>The metric that selects the best epoch and drives early stopping. Default <see cref="EvaluationMetric.Loss"/>.</summary>
    public EvaluationMetric SelectionMetric { get; set; } = EvaluationMetric.Loss;

    /// <summary>Stop after this many epochs without improvement of <see cref="SelectionMetric"/>; null never stops early.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>The smallest change of <see cref="SelectionMetric"/> that counts as an improvement. Default 0.</summary>
    public double EarlyStoppingMinDelta { get; set; }

    /// <summary>
    /// Whether the trainable weights and the buffers (BatchNorm running statistics, which change in training mode even
    /// in frozen layers) of the best epoch are restored at the end (needs validation data). Default true.
    /// </summary>
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>Where checkpoints are written (one sub-folder per checkpoint); null writes none.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Also checkpoint every this many optimizer steps (besides each epoch end); null or 0 only at epoch ends.</summary>
    public int? CheckpointEveryNSteps { get; set; }

    /// <summary>How many of the newest checkpoints to keep. Default 2.</summary>
    public int KeepLastCheckpoints { get; set; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="CheckpointFolder"/> when there is one. Default false.</summary>
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>Threads for torch's CPU kernels; null uses every core. Restored when <see cref="TrainingLoop.Fit"/> returns.</summary>
    public int? Threads { get; set; }

    /// <summary>The CUDA device to train on (ML.NET's <c>MLContext.GpuDeviceId</c>); null trains on the CPU.</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When the GPU is unavailable: true falls back to the CPU (with a log message), false throws. Default true (ML.NET's <c>FallbackToCpu</c>).</summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>
    /// Float32, or bfloat16 for the frozen base with float32 trainable weights. Default Float32. Under BFloat16 only layers
    /// whose parameters are all frozen compute in bfloat16 (so BitFit, which trains every bias, gains nothing), the
    /// activations between layers travel in bfloat16, and the frozen base weights keep their bfloat16 rounding after
    /// training (a model trained this way is rebuilt the same way when saved by reference).
    /// </summary>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Float32;

    /// <summary>Threads that build batches ahead of the training thread (decoding, augmentation, padding); 0 builds them inline. Default 2.</summary>
    public int DataLoaderWorkers { get; set; } = 2;

    /// <summary>The most batches built ahead of training. Default 4.</summary>
    public int PrefetchBatches { get; set; } = 4;

    /// <summary>
    /// Run a full garbage collection (and wait for finalizers) every this many optimizer steps, so TorchSharp tensor
    /// wrappers the dispose scopes missed are freed before native memory grows; 0 never. Default 100.
    /// </summary>
    public int CollectGarbageEveryNSteps { get; set; } = 100;

    /// <summary>Receives a report after every optimizer step.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Receives log lines: devices, checkpoints, the per-epoch metrics table.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Stops training at the next step boundary, after writing a checkpoint (when a folder is set); Fit then throws <see cref="TrainingCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    // Test seam: runs just before a finished checkpoint folder is renamed into place.
    internal Action<string>? BeforeCheckpointCommit { get; set; }

    // Test seam: false skips the per-step dispose scopes, to show that memory then grows.
    internal bool UseDisposeScopes { get; set; } = true;

    internal double EffectiveLearningRate =>
        LearningRate ?? (Method is { } method
            ? LearningRatePolicy.For(method)
            : throw new InvalidOperationException("Set TrainingOptions.LearningRate, or TrainingOptions.Method to use the policy's default rate."));

    internal void Validate()
    {
        Positive(Epochs, nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        Positive(GradientAccumulationSteps, nameof(GradientAccumulationSteps));
        if (EvaluationBatchSize is { } evaluationBatch)
        {
            Positive(evaluationBatch, nameof(EvaluationBatchSize));
        }

        double lr = EffectiveLearningRate;
        if (!(lr > 0) || double.IsInfinity(lr))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), lr, "The learning rate must be positive and finite.");
        }

        if (!(WarmupRatio >= 0 && WarmupRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "WarmupRatio must be in [0, 1].");
        }

        if (WarmupSteps is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "WarmupSteps must not be negative.");
        }

        if (MaxGradientNorm is { } norm && !(norm >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxGradientNorm), norm, "MaxGradientNorm must not be negative.");
        }

        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
        ArgumentNullException.ThrowIfNull(LearningRatePolicy, nameof(LearningRatePolicy));
        Optimizer.Validate();
        NotNegative(LengthBucketWindow, nameof(LengthBucketWindow));
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        }

        if (EarlyStoppingPatience is { } patience)
        {
            Positive(patience, nameof(EarlyStoppingPatience));
        }

        if (!(EarlyStoppingMinDelta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta, "EarlyStoppingMinDelta must not be negative.");
        }

        if (CheckpointEveryNSteps is { } every)
        {
            NotNegative(every, nameof(CheckpointEveryNSteps));
        }

        Positive(KeepLastCheckpoints, nameof(KeepLastCheckpoints));
        if (ResumeFromCheckpoint && CheckpointFolder is null)
        {
            throw new ArgumentException("ResumeFromCheckpoint needs a CheckpointFolder.", nameof(ResumeFromCheckpoint));
        }

        if (Threads is { } threads)
        {
            Positive(threads, nameof(Threads));
        }

        if (GpuDeviceId is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuDeviceId), GpuDeviceId, "GpuDeviceId must not be negative.");
        }

        NotNegative(DataLoaderWorkers, nameof(DataLoaderWorkers));
        Positive(PrefetchBatches, nameof(PrefetchBatches));
        NotNegative(CollectGarbageEveryNSteps, nameof(CollectGarbageEveryNSteps));
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }

    private static void NotNegative(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        }
    }
}
