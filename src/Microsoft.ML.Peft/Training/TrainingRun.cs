using System.Diagnostics;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Optimization;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Training.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training;

/// <summary>One call of <see cref="TrainingLoop.Fit"/>: the state of a run from start (or resume) to the end.</summary>
internal sealed class TrainingRun<TBatch>
    where TBatch : ITrainingBatch
{
    private readonly TrainingOptions _options;
    private readonly nn.Module _model;
    private readonly ITrainingTask<TBatch> _task;
    private readonly Stopwatch _clock = new();
    private ITrainingData<TBatch> _train;
    private ITrainingData<TBatch>? _validation;
    private Device _device = CPU;
    private List<(string Name, Parameter Parameter)> _trainable = [];
    private List<(string Name, Tensor Buffer)> _buffers = [];
    private AdamWOptimizer? _optimizer;
    private LearningRateSchedule? _schedule;
    private TrainerState _state = new();
    private Dictionary<string, Tensor>? _bestWeights;
    private TimeSpan _elapsedBefore;
    private long? _resumedFrom;
    private long _stepsThisRun;
    private long _rowsThisRun;
    private long _lastCheckpointStep = -1;
    private string? _lastCheckpoint;

    public TrainingRun(TrainingOptions options, nn.Module model, ITrainingTask<TBatch> task, ITrainingData<TBatch> train, ITrainingData<TBatch>? validation)
    {
        _options = options;
        _model = model;
        _task = task;
        _train = train;
        _validation = validation;
    }

    private AdamWOptimizer Optimizer => _optimizer!;

    private LearningRateSchedule Schedule => _schedule!;

    private TimeSpan Elapsed => _elapsedBefore + _clock.Elapsed;

    public TrainingResult Run()
    {
        int previousThreads = get_num_threads();
        set_num_threads(_options.Threads ?? Environment.ProcessorCount);
        _clock.Start();
        try
        {
            _device = TrainingDevices.Resolve(_options.GpuDeviceId, _options.FallbackToCpu, _options.Log);
            _model.to(_device);
            if (BFloat16Hardware.WarningFor(_options.Precision, _device.type == DeviceType.CPU, BFloat16Hardware.CpuHasMatrixInstructions) is { } warning)
            {
                Log(warning);
            }

            SplitValidation();
            using IDisposable? precision = _options.Precision == TrainingPrecision.BFloat16 ? MixedPrecision.Apply(_model) : null;
            _trainable = _model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();

            // Buffers change in training mode even in frozen layers (BatchNorm running statistics), so the best
            // weights and checkpoints keep them with the trainable parameters; non-persistent ones are not state.
            _buffers = _model.named_buffers(include_nonpersistent: false).Select(b => (b.name, b.buffer)).ToList();
            CheckTrainable();
            using (_optimizer = new AdamWOptimizer(_trainable, _options.EffectiveLearningRate, _options.Optimizer, _options.ExcludeFromWeightDecay))
            {
                Plan();
                PrepareCheckpoints();
                LogStart();
                for (int epoch = _state.Epoch; epoch < _options.Epochs && !_state.Stopped; epoch++)
                {
                    TrainEpoch(epoch);
                    EndEpoch(epoch);
                }

                bool restored = RestoreBestWeights();
                if (_resumedFrom is not null)
                {
                    // The rows logged as they ended cover this process only; a resumed run repeats the whole table.
                    Log(EpochTable.Format(_state.History, _task.Kind));
                }

                return new TrainingResult
                {
                    Epochs = _state.History.ToList(),
                    BestEpoch = _state.BestEpoch,
                    BestMetric = _state.BestMetric,
                    RestoredBestWeights = restored,
                    StopReason = _state.Stopped ? StopReason.EarlyStopped : StopReason.Completed,
                    Steps = _state.GlobalStep,
                    ResumedFromStep = _resumedFrom,
                    Elapsed = Elapsed,
                    SamplesPerSecond = _rowsThisRun / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9),
                    Device = _device.ToString(),
                    TrainableParameterCount = _trainable.Sum(p => p.Parameter.numel()),
                    TotalParameterCount = _model.parameters().Sum(p => p.numel()),
                    LastCheckpoint = _lastCheckpoint,
                };
            }
        }
        finally
        {
            DisposeBestWeights();
            set_num_threads(previousThreads);
        }
    }

    private void SplitValidation()
    {
        // An empty validation set would score 0 and stay the "best" epoch forever, rolling the model back to it.
        if (_validation is { Count: 0 })
        {
            throw new ArgumentException(
                "The validation data has no rows; an epoch cannot be scored on it. Pass validation rows, or null to train without validation.",
                "validationData");
        }

        if (_validation is not null || _options.ValidationFraction == 0)
        {
            return;
        }

        (int[] train, int[] validation) = DataSplit.Split(_train.Count, _options.ValidationFraction, _options.Seed);
        if (validation.Length == 0 && train.Length > 0)
        {
            throw new ArgumentException(
                $"ValidationFraction {_options.ValidationFraction} holds out no row of the {_train.Count} training row(s): training keeps at least one row, " +
                "so a held-out validation set needs at least two. Add rows, pass validation data, or set ValidationFraction to 0 to train without validation.",
                nameof(TrainingOptions.ValidationFraction));
        }

        _validation = new DataSubset<TBatch>(_train, validation);
        _train = new DataSubset<TBatch>(_train, train);
    }

    private void CheckTrainable()
    {
        if (_trainable.Count == 0)
        {
            throw new ArgumentException(
                $"{_model.GetName()} has no trainable parameter (every parameter has requires_grad = false); unfreeze or add the parameters to train.");
        }

        if (_options.Precision == TrainingPrecision.BFloat16)
        {
            foreach ((string name, Parameter parameter) in _trainable.Where(p => p.Parameter.dtype != ScalarType.Float32))
            {
                throw new ArgumentException(
                    $"Trainable parameter '{name}' is {parameter.dtype}; with BFloat16 precision trainable weights must be float32 (only frozen weights are stored in bfloat16).");
            }
        }
    }

    private void Plan()
    {
        if (_train.Count == 0)
        {
            throw new ArgumentException("The training data has no rows.");
        }

        int batches = EpochPlan.BatchCount(_train.Count, _options.BatchSize);
        long stepsPerEpoch = (batches + _options.GradientAccumulationSteps - 1) / _options.GradientAccumulationSteps;
        long total = stepsPerEpoch * _options.Epochs;
        long warmup = _options.WarmupSteps ?? LearningRateSchedule.WarmupStepsFor(total, _options.WarmupRatio);
        _schedule = new LearningRateSchedule(_options.Schedule, _options.EffectiveLearningRate, warmup, total);
        _state = new TrainerState
        {
            Seed = _options.Seed,
            TrainRows = _train.Count,
            DataFingerprint = _options.CheckpointFolder is null ? null : _train.ContentFingerprint,
            BatchSize = _options.BatchSize,
            GradientAccumulationSteps = _options.GradientAccumulationSteps,
            TotalSteps = total,
            TrainableParameters = _trainable.Select(p => p.Name).ToList(),
            Buffers = _buffers.Select(b => b.Name).ToList(),
            EpochPlanRule = EpochPlan.CurrentRule,
        };
    }

    private void TrainEpoch(int epoch)
    {
        _model.train();
        int[][] plan = EpochPlan.ForTraining(
            _train.Count, _options.BatchSize, _options.Seed, epoch, _options.Shuffle, _train.HasLengths ? _train.GetLength : null, _options.LengthBucketWindow,
            _state.EpochPlanRule ?? 1); // a resumed run keeps the rule it started with
        int first = _state.NextBatch;
        var context = new BatchContext(_options.Seed, epoch, Training: true);
        using var batches = new BatchPrefetcher<TBatch>(_train, plan, first, context, _options.DataLoaderWorkers, _options.PrefetchBatches);
        int accumulation = _options.GradientAccumulationSteps;
        double stepLoss = 0;
        long stepRows = 0;
        for (int b = first; b < plan.Length; b++)
        {
            int groupStart = b / accumulation * accumulation;
            int groupEnd = Math.Min(groupStart + accumulation, plan.Length);
            if (b == groupStart)
            {
                StopIfCanceled();
            }

            TBatch batch = batches.Take();
            int groupRows = 0;
            for (int g = groupStart; g < groupEnd; g++)
            {
                groupRows += plan[g].Length;
            }

            double loss = MicroStep(batch, (double)batch.Count / groupRows, epoch, b);
            stepLoss += loss * batch.Count;
            stepRows += batch.Count;
            _state.EpochLossSum += loss * batch.Count;
            _state.EpochRows += batch.Count;
            _rowsThisRun += batch.Count;
            if (b != groupEnd - 1)
            {
                continue;
            }

            (double lr, double? norm) = OptimizerStep();
            _state.NextBatch = b + 1;
            Report(epoch, stepLoss / stepRows, lr, norm);
            stepLoss = 0;
            stepRows = 0;
            if (_options.CollectGarbageEveryNSteps > 0 && _state.GlobalStep % _options.CollectGarbageEveryNSteps == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            bool lastOfEpoch = b == plan.Length - 1;
            if (!lastOfEpoch && _options.CheckpointEveryNSteps is > 0 and int every && _state.GlobalStep % every == 0)
            {
                SaveCheckpoint();
            }
        }
    }

    private double MicroStep(TBatch batch, double weight, int epoch, int batchIndex)
    {
        using var scope = _options.UseDisposeScopes ? NewDisposeScope() : null;

        // Dropout draws from torch's generator: seeding it from the data position makes a resumed run draw the same masks.
        using (manual_seed(unchecked((long)SeededRandom.Derive(_options.Seed, RandomStream.TorchGenerator, epoch, batchIndex))))
        {
        }

        TaskOutput output = _task.Run(_model, batch, _device);
        using Scalar share = weight.ToScalar();
        Tensor loss = weight == 1.0 ? output.Loss : output.Loss.mul(share);
        loss.backward();
        return output.Loss.to(ScalarType.Float64).item<double>();
    }

    private (double LearningRate, double? GradientNorm) OptimizerStep()
    {
        using var scope = _options.UseDisposeScopes ? NewDisposeScope() : null;
        double lr = Schedule.LearningRateAt(_state.GlobalStep);
        Optimizer.LearningRate = lr;
        double? norm = _options.MaxGradientNorm is > 0 and double max
            ? GradientClipping.ClipByGlobalNorm(_trainable.Select(p => (Tensor)p.Parameter), max)
            : null;
        Optimizer.Step();
        Optimizer.ZeroGrad();
        _state.GlobalStep++;
        _stepsThisRun++;
        return (lr, norm);
    }

    private void Report(int epoch, double loss, double lr, double? norm)
    {
        if (_options.Progress is null)
        {
            return;
        }

        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        long remainingSteps = Schedule.TotalSteps - _state.GlobalStep;
        _options.Progress.Report(new TrainingProgress
        {
            Epoch = epoch + 1,
            Epochs = _options.Epochs,
            Step = _state.GlobalStep,
            TotalSteps = Schedule.TotalSteps,
            Loss = loss,
            LearningRate = lr,
            GradientNorm = norm,
            SamplesPerSecond = _rowsThisRun / seconds,
            Elapsed = Elapsed,
            EstimatedRemaining = TimeSpan.FromSeconds(seconds / _stepsThisRun * remainingSteps),
        });
    }

    private void EndEpoch(int epoch)
    {
        EvaluationResult? validation = _validation is null ? null : Evaluator.Evaluate(_model, _task, _validation, _device, _options);
        if (validation is not null)
        {
            TrackBest(validation, epoch);
        }

        var result = new EpochResult
        {
            Epoch = epoch + 1,
            TrainingLoss = _state.EpochRows == 0 ? double.NaN : _state.EpochLossSum / _state.EpochRows,
            Validation = validation,
            LearningRate = Schedule.LearningRateAt(Math.Max(0, _state.GlobalStep - 1)),
            Steps = _state.GlobalStep,
            Elapsed = Elapsed,
        };
        _state.History.Add(result);
        Log(EpochTable.FormatRow(result, _task.Kind, header: _state.History.Count == 1));
        _state.Epoch = epoch + 1;
        _state.NextBatch = 0;
        _state.EpochLossSum = 0;
        _state.EpochRows = 0;
        SaveCheckpoint();
        if (_state.Stopped)
        {
            Log($"Early stopping after epoch {epoch + 1}: {_options.SelectionMetric} has not improved for {_state.EpochsWithoutImprovement} epochs (best {_state.BestMetric:G6} at epoch {_state.BestEpoch}).");
        }
    }

    private void TrackBest(EvaluationResult validation, int epoch)
    {
        double value = validation.Get(_options.SelectionMetric);
        double delta = _options.EarlyStoppingMinDelta;
        bool better = _state.BestMetric is not { } best ||
            (EvaluationResult.HigherIsBetter(_options.SelectionMetric) ? value > best + delta : value < best - delta);
        if (better)
        {
            _state.BestMetric = value;
            _state.BestEpoch = epoch + 1;
            _state.EpochsWithoutImprovement = 0;
            if (_options.RestoreBestWeights)
            {
                DisposeBestWeights();
                _bestWeights = CopyTrainableAndBuffers();
            }
        }
        else
        {
            _state.EpochsWithoutImprovement++;
        }

        if (_options.EarlyStoppingPatience is { } patience && _state.EpochsWithoutImprovement >= patience && epoch + 1 < _options.Epochs)
        {
            _state.Stopped = true;
        }
    }

    private bool RestoreBestWeights()
    {
        if (!_options.RestoreBestWeights || _bestWeights is null)
        {
            return false;
        }

        bool buffersRestored = false;
        using (no_grad())
        {
            foreach ((string name, Parameter parameter) in _trainable)
            {
                parameter.copy_(_bestWeights[name]);
            }

            // Best weights resumed from a format-1 checkpoint hold no buffers; the model keeps its own then.
            foreach ((string name, Tensor buffer) in _buffers)
            {
                if (_bestWeights.TryGetValue(name, out Tensor? best))
                {
                    buffer.copy_(best);
                    buffersRestored = true;
                }
            }
        }

        string what = buffersRestored ? "trainable weights and buffers" : "trainable weights";
        Log($"Restored the {what} of epoch {_state.BestEpoch} ({_options.SelectionMetric} {_state.BestMetric:G6}).");
        return true;
    }

    /// <summary>CPU copies of the trainable parameters and the buffers, keyed by name (parameter and buffer names never collide).</summary>
    private Dictionary<string, Tensor> CopyTrainableAndBuffers()
    {
        var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach ((string name, Tensor tensor) in TrainableAndBuffers())
            {
                copy[name] = tensor.detach().cpu().clone().DetachFromDisposeScope();
            }
        }

        return copy;
    }

    private IEnumerable<(string Name, Tensor Tensor)> TrainableAndBuffers() =>
        _trainable.Select(p => (p.Name, (Tensor)p.Parameter)).Concat(_buffers);

    private void DisposeBestWeights()
    {
        foreach (Tensor tensor in _bestWeights?.Values ?? Enumerable.Empty<Tensor>())
        {
            tensor.Dispose();
        }

        _bestWeights = null;
    }

    private void StopIfCanceled()
    {
        CancellationToken token = _options.CancellationToken;
        if (!token.IsCancellationRequested)
        {
            return;
        }

        // Before the first step there is nothing worth saving; after a resume the checkpoint resumed from is current.
        string? checkpoint = _lastCheckpointStep == _state.GlobalStep ? _lastCheckpoint : _state.GlobalStep == 0 ? null : SaveCheckpoint();
        throw new TrainingCanceledException(_state.GlobalStep, checkpoint, token);
    }

    private void PrepareCheckpoints()
    {
        string? root = _options.CheckpointFolder;
        if (root is null)
        {
            return;
        }

        CheckpointFolder.RemoveLeftovers(root);
        IReadOnlyList<(long Step, string Path)> existing = CheckpointFolder.List(root);
        if (existing.Count == 0)
        {
            return;
        }

        if (!_options.ResumeFromCheckpoint)
        {
            throw new InvalidOperationException(
                $"The checkpoint folder '{root}' already holds checkpoints ({string.Join(", ", existing.Select(c => Path.GetFileName(c.Path)))}). " +
                "Set ResumeFromCheckpoint to continue that run, or use an empty folder.");
        }

        Resume(existing[^1].Path);
    }

    private void Resume(string checkpoint)
    {
        TrainerState saved = TrainerState.Read(Path.Combine(checkpoint, TrainerState.FileName));
        var mismatches = new List<string>();
        void Compare<T>(string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                mismatches.Add($"{what} is {actual} now but was {expected}");
            }
        }

        Compare("the seed", saved.Seed, _state.Seed);
        Compare("the number of training rows", saved.TrainRows, _state.TrainRows);
        if (saved.DataFingerprint is { } savedData && _state.DataFingerprint is { } currentData && savedData != currentData)
        {
            mismatches.Add($"the training data differs (content fingerprint {currentData[..12]}… now, {savedData[..12]}… in the checkpoint; another fold or file?)");
        }

        Compare("the batch size", saved.BatchSize, _state.BatchSize);
        Compare("GradientAccumulationSteps", saved.GradientAccumulationSteps, _state.GradientAccumulationSteps);
        Compare("the total number of steps (epochs × steps per epoch)", saved.TotalSteps, _state.TotalSteps);
        CompareNames("trainable parameters", saved.TrainableParameters, _state.TrainableParameters, mismatches);
        if (saved.Buffers is { } savedBuffers)
        {
            CompareNames("buffers", savedBuffers, _state.Buffers!, mismatches);
        }

        if (mismatches.Count > 0)
        {
            throw new InvalidOperationException($"Checkpoint '{checkpoint}' does not fit this run: {string.Join("; ", mismatches)}.");
        }

        Load(Path.Combine(checkpoint, TrainingCheckpoints.WeightsFileName), _trainable.Select(p => (p.Name, (Tensor)p.Parameter)), "parameter");
        if (saved.Buffers is null)
        {
            if (_buffers.Count > 0)
            {
                Log($"{checkpoint} was written before checkpoints held buffers: the model's {_buffers.Count} buffers (BatchNorm statistics and the like) continue from their current values, not the checkpoint's.");
            }
        }
        else if (_buffers.Count > 0)
        {
            Load(Path.Combine(checkpoint, TrainingCheckpoints.BuffersFileName), _buffers, "buffer");
        }

        Dictionary<string, Tensor> optimizerState = ReadAll(Path.Combine(checkpoint, TrainingCheckpoints.OptimizerFileName));
        try
        {
            Optimizer.LoadState(optimizerState, Path.Combine(checkpoint, TrainingCheckpoints.OptimizerFileName));
        }
        finally
        {
            foreach (Tensor tensor in optimizerState.Values)
            {
                tensor.Dispose();
            }
        }

        string bestPath = Path.Combine(checkpoint, TrainingCheckpoints.BestWeightsFileName);
        if (File.Exists(bestPath))
        {
            _bestWeights = ReadAll(bestPath);
        }

        if (saved.TorchRngState is { } rng)
        {
            using Tensor state = tensor(Convert.FromBase64String(rng), ScalarType.Byte);
            set_rng_state(state);
        }

        _state = saved;

        // Later checkpoints of this run are written in the current format, buffers included.
        _state.Format = TrainerState.CurrentFormat;
        _state.Buffers = _buffers.Select(b => b.Name).ToList();
        _elapsedBefore = TimeSpan.FromSeconds(saved.ElapsedSeconds);
        _resumedFrom = saved.GlobalStep;
        _lastCheckpointStep = saved.GlobalStep;
        _lastCheckpoint = checkpoint;
        Log($"Resumed from {checkpoint}: step {saved.GlobalStep}, epoch {saved.Epoch + 1}, batch {saved.NextBatch}.");
    }

    private static void CompareNames(string what, List<string> saved, List<string> current, List<string> mismatches)
    {
        if (!saved.SequenceEqual(current))
        {
            mismatches.Add(
                $"the {what} differ (checkpoint: {saved.Count}, model: {current.Count}; " +
                $"first difference: {saved.Except(current).Concat(current.Except(saved)).FirstOrDefault() ?? "order"})");
        }
    }

    /// <summary>Copies each tensor of <paramref name="targets"/> from the safetensors file at <paramref name="path"/>, checking presence and shape.</summary>
    private static void Load(string path, IEnumerable<(string Name, Tensor Tensor)> targets, string kind)
    {
        using var noGrad = no_grad();
        using var file = SafeTensors.Open(path);
        foreach ((string name, Tensor target) in targets)
        {
            using var scope = NewDisposeScope();
            if (!file.Contains(name))
            {
                throw new InvalidDataException($"{file.Path} has no tensor '{name}'.");
            }

            Tensor value = file.Read(name, target.dtype);
            if (!value.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException(
                    $"{file.Path}: '{name}' has shape [{string.Join(", ", value.shape)}] but the {kind} has [{string.Join(", ", target.shape)}].");
            }

            target.copy_(value);
        }
    }

    private static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var file = SafeTensors.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string key in file.Keys)
        {
            result[key] = file.Read(key).DetachFromDisposeScope();
        }

        return result;
    }

    private string? SaveCheckpoint()
    {
        string? root = _options.CheckpointFolder;
        if (root is null)
        {
            return null;
        }

        long step = _state.GlobalStep;
        string temporary = CheckpointFolder.CreateTemporary(root, step);
        string final;
        try
        {
            using (var scope = NewDisposeScope())
            {
                SafeTensors.Save(
                    Path.Combine(temporary, TrainingCheckpoints.WeightsFileName),
                    _trainable.ToDictionary(p => p.Name, p => (Tensor)p.Parameter, StringComparer.Ordinal));
                if (_buffers.Count > 0)
                {
                    SafeTensors.Save(
                        Path.Combine(temporary, TrainingCheckpoints.BuffersFileName),
                        _buffers.ToDictionary(b => b.Name, b => b.Buffer, StringComparer.Ordinal));
                }

                SafeTensors.Save(Path.Combine(temporary, TrainingCheckpoints.OptimizerFileName), Optimizer.GetState());
                if (_bestWeights is not null)
                {
                    SafeTensors.Save(Path.Combine(temporary, TrainingCheckpoints.BestWeightsFileName), _bestWeights);
                }

                using Tensor rng = get_rng_state();
                _state.TorchRngState = Convert.ToBase64String(rng.data<byte>().ToArray());
            }

            _state.ElapsedSeconds = Elapsed.TotalSeconds;
            _state.Write(Path.Combine(temporary, TrainerState.FileName));
            _options.BeforeCheckpointCommit?.Invoke(temporary);
            final = CheckpointFolder.Commit(temporary, root, step);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }

        CheckpointFolder.Prune(root, _options.KeepLastCheckpoints);
        _lastCheckpointStep = step;
        _lastCheckpoint = final;
        Log($"Checkpoint written: {final}");
        return final;
    }

    private void LogStart()
    {
        long trainable = _trainable.Sum(p => p.Parameter.numel());
        long total = _model.parameters().Sum(p => p.numel());
        Log(
            $"Training {_model.GetName()} on {_device} with {get_num_threads()} threads, {_options.Precision}: {trainable:N0} of {total:N0} parameters trainable " +
            $"({100.0 * trainable / Math.Max(1, total):F2}%); {_train.Count} training rows" +
            (_validation is null ? string.Empty : $", {_validation.Count} validation rows") +
            $"; {Schedule.TotalSteps} steps ({_options.Epochs} epochs, batch {_options.BatchSize} × {_options.GradientAccumulationSteps}); " +
            $"peak learning rate {Schedule.PeakLearningRate:G3}, {Schedule.Kind} schedule, {Schedule.WarmupSteps} warmup steps.");
    }

    private void Log(string message) => _options.Log?.Invoke(message);
}
