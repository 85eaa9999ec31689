using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Tests.Vision;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>
/// Checkpoints of a model with buffers: a head-only ResNet whose frozen BatchNorm layers still update their running
/// statistics in training mode, so a resumed run must restore them to end where an uninterrupted one does.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public class BufferCheckpointTests
{
    private static readonly Lazy<ImageDataSet> Data = new(Images);

    [Fact]
    public void AResumedBatchNormRunEndsWithTheSameWeightsAndStatisticsAsAnUninterruptedOne()
    {
        using var folder = new TemporaryFolder();
        Dictionary<string, double[]> uninterrupted;
        List<double> uninterruptedValidation;
        using (ResNet model = HeadOnlyResNet())
        {
            TrainingResult result = new TrainingLoop(Options(null)).Fit(model, TrainingTasks.ImageClassification(), Data.Value);
            uninterrupted = State(model);
            uninterruptedValidation = result.Epochs.Select(e => e.Validation!.Loss).ToList();
            Assert.True(result.RestoredBestWeights);
        }

        CancelAtStep(folder.Path, 7);
        var resumed = Options(folder.Path);
        resumed.ResumeFromCheckpoint = true;
        using (ResNet model = HeadOnlyResNet())
        {
            TrainingResult result = new TrainingLoop(resumed).Fit(model, TrainingTasks.ImageClassification(), Data.Value);
            Assert.Equal(7, result.ResumedFromStep);
            Assert.Equal(15, result.Steps);

            // Evaluation reads the running statistics: the epochs after the resume score the same only if they came back.
            Assert.Equal(uninterruptedValidation, result.Epochs.Select(e => e.Validation!.Loss));
            Dictionary<string, double[]> state = State(model);
            Assert.Equal(uninterrupted.Keys.Order(), state.Keys.Order());
            Assert.Contains(state.Keys, k => k.EndsWith(".running_mean", StringComparison.Ordinal));
            foreach ((string name, double[] expected) in uninterrupted)
            {
                Assert.True(expected.SequenceEqual(state[name]), $"'{name}' differs after the resume");
            }
        }
    }

    [Fact]
    public void ACheckpointHoldsTheTrainableParametersAndAllBuffersButNoFrozenParameter()
    {
        using var folder = new TemporaryFolder();
        string checkpoint = CancelAtStep(folder.Path, 7);
        using ResNet model = HeadOnlyResNet();
        string[] buffers = model.named_buffers().Select(b => b.name).ToArray();
        Assert.Contains("bn1.num_batches_tracked", buffers);

        using (var weights = SafeTensors.Open(Path.Combine(checkpoint, TrainingCheckpoints.WeightsFileName)))
        {
            Assert.Equal(["fc.bias", "fc.weight"], weights.Keys.Order());
        }

        using (var saved = SafeTensors.Open(Path.Combine(checkpoint, TrainingCheckpoints.BuffersFileName)))
        {
            Assert.Equal(buffers.Order(), saved.Keys.Order());
            using Tensor tracked = saved.Read("bn1.num_batches_tracked");
            Assert.Equal(7L, tracked.item<long>());
        }

        using (var best = SafeTensors.Open(Path.Combine(checkpoint, TrainingCheckpoints.BestWeightsFileName)))
        {
            Assert.Equal(buffers.Append("fc.bias").Append("fc.weight").Order(), best.Keys.Order());
        }
    }

    [Fact]
    public void ACheckpointWrittenBeforeBuffersWereSavedStillResumes()
    {
        using var folder = new TemporaryFolder();
        string checkpoint = CancelAtStep(folder.Path, 7);

        // What format 1 wrote: no buffers file, no buffer list, best weights without buffers.
        File.Delete(Path.Combine(checkpoint, TrainingCheckpoints.BuffersFileName));
        string statePath = Path.Combine(checkpoint, TrainerState.FileName);
        JsonObject state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        state["Format"] = 1;
        Assert.True(state.Remove("Buffers"));
        File.WriteAllText(statePath, state.ToJsonString());
        string bestPath = Path.Combine(checkpoint, TrainingCheckpoints.BestWeightsFileName);
        var trainableOnly = new Dictionary<string, Tensor>();
        using (var best = SafeTensors.Open(bestPath))
        {
            foreach (string key in best.Keys.Where(k => k.StartsWith("fc.", StringComparison.Ordinal)))
            {
                trainableOnly[key] = best.Read(key);
            }
        }

        SafeTensors.Save(bestPath, trainableOnly);
        var log = new List<string>();
        var resumed = Options(folder.Path);
        resumed.ResumeFromCheckpoint = true;
        resumed.Log = log.Add;
        using ResNet model = HeadOnlyResNet();
        TrainingResult result = new TrainingLoop(resumed).Fit(model, TrainingTasks.ImageClassification(), Data.Value);
        Assert.Equal(7, result.ResumedFromStep);
        Assert.Equal(15, result.Steps);
        Assert.Contains(log, l => l.Contains("was written before checkpoints held buffers", StringComparison.Ordinal));

        // The checkpoints written after the resume are in the current format, buffers included.
        string latest = TrainingCheckpoints.Latest(folder.Path)!;
        Assert.True(File.Exists(Path.Combine(latest, TrainingCheckpoints.BuffersFileName)));
        Assert.Equal(TrainerState.CurrentFormat, TrainerState.Read(Path.Combine(latest, TrainerState.FileName)).Format);
    }

    [Fact]
    public void ACheckpointOfAnUnknownFormatIsRefusedNamingTheFile()
    {
        using var folder = new TemporaryFolder();
        string checkpoint = CancelAtStep(folder.Path, 7);
        string statePath = Path.Combine(checkpoint, TrainerState.FileName);
        JsonObject state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        state["Format"] = TrainerState.CurrentFormat + 1;
        File.WriteAllText(statePath, state.ToJsonString());

        var resumed = Options(folder.Path);
        resumed.ResumeFromCheckpoint = true;
        using ResNet model = HeadOnlyResNet();
        var error = Assert.Throws<InvalidDataException>(() => new TrainingLoop(resumed).Fit(model, TrainingTasks.ImageClassification(), Data.Value));
        Assert.Contains(statePath, error.Message);
        Assert.Contains($"format {TrainerState.CurrentFormat + 1}", error.Message);
    }

    /// <summary>Trains into <paramref name="checkpoints"/> until <paramref name="step"/> and cancels; returns the checkpoint the cancellation wrote.</summary>
    private static string CancelAtStep(string checkpoints, int step)
    {
        using var cancel = new CancellationTokenSource();
        var options = Options(checkpoints);
        options.CancellationToken = cancel.Token;
        options.Progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Step == step)
            {
                cancel.Cancel();
            }
        });
        using ResNet model = HeadOnlyResNet();
        var canceled = Assert.Throws<TrainingCanceledException>(() => new TrainingLoop(options).Fit(model, TrainingTasks.ImageClassification(), Data.Value));
        Assert.Equal(step, canceled.Step);
        return canceled.Checkpoint!;
    }

    private static ResNet HeadOnlyResNet()
    {
        using (manual_seed(2))
        {
        }

        var model = new ResNet(new ResNetConfig { StemWidth = 4, StageWidths = [4, 8], BlocksPerStage = [1, 1], NumClasses = 2 });
        foreach ((string name, var parameter) in model.named_parameters())
        {
            parameter.requires_grad = name.StartsWith("fc.", StringComparison.Ordinal);
        }

        return model;
    }

    /// <summary>Every parameter and buffer as float64 values (num_batches_tracked is int64).</summary>
    private static Dictionary<string, double[]> State(ResNet model)
    {
        var state = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers()))
        {
            using Tensor values = tensor.detach().cpu().to(ScalarType.Float64);
            state[name] = values.data<double>().ToArray();
        }

        return state;
    }

    // 24 rows, a quarter held out: 18 training rows, batch 4, so 5 steps per epoch and 15 in all.
    private static TrainingOptions Options(string? checkpoints) => new()
    {
        Epochs = 3,
        BatchSize = 4,
        LearningRate = 3e-2,
        ValidationFraction = 0.25,
        CheckpointFolder = checkpoints,
        CheckpointEveryNSteps = 3,
        KeepLastCheckpoints = 3,
        Threads = 1,
        DataLoaderWorkers = 2,
    };

    private static ImageDataSet Images()
    {
        var random = new Random(5);
        var images = new List<byte[]>();
        var labels = new List<int>();
        for (int i = 0; i < 24; i++)
        {
            bool red = i % 2 == 0;
            images.Add(SyntheticImages.Png(16, 16, (x, y) =>
            {
                byte strong = (byte)random.Next(150, 256);
                byte weak = (byte)random.Next(0, 100);
                return red ? new SKColor(strong, weak, weak) : new SKColor(weak, weak, strong);
            }));
            labels.Add(red ? 0 : 1);
        }

        var options = new ImageAugmentationOptions { Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = 16, CropSize = 12 } };
        return ImageDataSet.ForClassification(images, labels, options);
    }
}
