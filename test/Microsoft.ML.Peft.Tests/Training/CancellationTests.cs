using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class CancellationTests
{
    [Fact]
    public void CancellationStopsAtTheNextStepAndWritesACheckpoint()
    {
        using var folder = new TemporaryFolder();
        using var cancel = new CancellationTokenSource();
        long lastReported = 0;
        var options = Options(folder.Path, cancel.Token, step =>
        {
            lastReported = step;
            if (step == 3)
            {
                cancel.Cancel();
            }
        });
        using var model = TinyText.Bert(seed: 2);
        var canceled = Assert.Throws<TrainingCanceledException>(() => new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), TinyText.Data(40, 1)));
        Assert.Equal(3, canceled.Step);
        Assert.Equal(3, lastReported);
        Assert.Equal(cancel.Token, canceled.CancellationToken);
        Assert.Equal(Path.Combine(folder.Path, "checkpoint-00000003"), canceled.Checkpoint);
        Assert.Equal(canceled.Checkpoint, TrainingCheckpoints.Latest(folder.Path));
    }

    [Fact]
    public void WithoutACheckpointFolderNothingIsWritten()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        using var model = TinyText.Bert(seed: 2);
        Dictionary<string, float[]> before = TinyText.Trainable(model);
        var canceled = Assert.Throws<TrainingCanceledException>(() =>
            new TrainingLoop(Options(null, cancel.Token, _ => { })).Fit(model, TrainingTasks.SequenceClassification(), TinyText.Data(40, 1)));
        Assert.Equal(0, canceled.Step);
        Assert.Null(canceled.Checkpoint);
        Assert.Equal(0.0, TinyText.MaxDifference(before, TinyText.Trainable(model)));
    }

    private static TrainingOptions Options(string? folder, CancellationToken token, Action<long> onStep) => new()
    {
        Epochs = 2,
        BatchSize = 4,
        LearningRate = 1e-3,
        CheckpointFolder = folder,
        Threads = 1,
        CancellationToken = token,
        Progress = new SynchronousProgress<TrainingProgress>(p => onStep(p.Step)),
    };
}
