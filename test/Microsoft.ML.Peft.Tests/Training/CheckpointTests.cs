using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class CheckpointTests
{
    private static readonly Lazy<Microsoft.ML.Peft.Training.Data.TextDataSet> Data = new(() => TinyText.Data(48, seed: 13));

    [Fact]
    public void AFailedCheckpointLeavesNoPartialFolderAndKeepsThePreviousOne()
    {
        using var folder = new TemporaryFolder();
        int commits = 0;
        var options = Options(folder.Path);
        options.BeforeCheckpointCommit = temporary =>
        {
            // Everything is written, but until the rename nothing is visible as a checkpoint.
            Assert.True(File.Exists(Path.Combine(temporary, TrainingCheckpoints.WeightsFileName)));
            Assert.True(File.Exists(Path.Combine(temporary, TrainingCheckpoints.OptimizerFileName)));
            Assert.DoesNotContain(temporary, TrainingCheckpoints.List(folder.Path));
            if (++commits == 2)
            {
                throw new IOException("disk full");
            }
        };

        using var model = TinyText.Bert(seed: 1, dropout: 0.1);
        Assert.Equal("disk full", Assert.Throws<IOException>(() => new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), Data.Value)).Message);

        string only = Assert.Single(Directory.GetDirectories(folder.Path));
        Assert.Equal(Path.Combine(folder.Path, "checkpoint-00000003"), only);
        Assert.Equal(only, TrainingCheckpoints.Latest(folder.Path));
        using var weights = SafeTensors.Open(Path.Combine(only, TrainingCheckpoints.WeightsFileName));
        Assert.Equal(TinyText.Trainable(model).Keys.Order(), weights.Keys.Order());
        Assert.True(File.Exists(Path.Combine(only, "trainer_state.json")));
    }

    [Fact]
    public void ResumingFromAnInterruptedRunGivesTheSameWeightsAsAnUninterruptedOne()
    {
        using var folder = new TemporaryFolder();
        Dictionary<string, float[]> uninterrupted;
        using (var model = TinyText.Bert(seed: 1, dropout: 0.1))
        {
            new TrainingLoop(Options(null)).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
            uninterrupted = TinyText.Trainable(model);
        }

        using var cancel = new CancellationTokenSource();
        var interrupted = Options(folder.Path);
        interrupted.CancellationToken = cancel.Token;
        interrupted.Progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Step == 7)
            {
                cancel.Cancel();
            }
        });
        using (var model = TinyText.Bert(seed: 1, dropout: 0.1))
        {
            var canceled = Assert.Throws<TrainingCanceledException>(() => new TrainingLoop(interrupted).Fit(model, TrainingTasks.SequenceClassification(), Data.Value));
            Assert.Equal(7, canceled.Step);
            Assert.Equal(Path.Combine(folder.Path, "checkpoint-00000007"), canceled.Checkpoint);
        }

        var resumed = Options(folder.Path);
        resumed.ResumeFromCheckpoint = true;
        using (var model = TinyText.Bert(seed: 1, dropout: 0.1))
        {
            TrainingResult result = new TrainingLoop(resumed).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
            Assert.Equal(7, result.ResumedFromStep);
            Assert.Equal(18, result.Steps);
            Assert.Equal(3, result.Epochs.Count);
            Assert.Equal(0.0, TinyText.MaxDifference(uninterrupted, TinyText.Trainable(model)));
        }
    }

    [Fact]
    public void KeepsOnlyTheNewestCheckpoints()
    {
        using var folder = new TemporaryFolder();
        var options = Options(folder.Path);
        options.CheckpointEveryNSteps = 1;
        options.KeepLastCheckpoints = 2;
        using var model = TinyText.Bert(seed: 1);
        TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
        Assert.Equal(["checkpoint-00000017", "checkpoint-00000018"], Directory.GetDirectories(folder.Path).Select(Path.GetFileName).Order());
        Assert.Equal(Path.Combine(folder.Path, "checkpoint-00000018"), result.LastCheckpoint);
    }

    [Fact]
    public void RefusesAnotherRunsCheckpointsAndCheckpointsThatDoNotFit()
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyText.Bert(seed: 1))
        {
            new TrainingLoop(Options(folder.Path)).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
        }

        using var again = TinyText.Bert(seed: 1);
        var fresh = Assert.Throws<InvalidOperationException>(() => new TrainingLoop(Options(folder.Path)).Fit(again, TrainingTasks.SequenceClassification(), Data.Value));
        Assert.Contains("ResumeFromCheckpoint", fresh.Message);

        var otherBatch = Options(folder.Path);
        otherBatch.ResumeFromCheckpoint = true;
        otherBatch.BatchSize = 4;
        var mismatch = Assert.Throws<InvalidOperationException>(() => new TrainingLoop(otherBatch).Fit(again, TrainingTasks.SequenceClassification(), Data.Value));
        Assert.Contains("the batch size is 4 now but was 8", mismatch.Message);
    }

    [Fact]
    public void RefusesToResumeWithOtherDataOfTheSameSize()
    {
        // Cross-validation folds of one data set have the same row count: only the content tells them apart.
        using var folder = new TemporaryFolder();
        using (var model = TinyText.Bert(seed: 1))
        {
            new TrainingLoop(Options(folder.Path)).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
        }

        var resume = Options(folder.Path);
        resume.ResumeFromCheckpoint = true;
        using var again = TinyText.Bert(seed: 1);
        var otherFold = TinyText.Data(48, seed: 14);
        Assert.Equal(Data.Value.Count, otherFold.Count);
        var mismatch = Assert.Throws<InvalidOperationException>(() => new TrainingLoop(resume).Fit(again, TrainingTasks.SequenceClassification(), otherFold));
        Assert.Contains("the training data differs", mismatch.Message);
        Assert.NotEqual(Data.Value.ContentFingerprint, otherFold.ContentFingerprint);
        Assert.Equal(Data.Value.ContentFingerprint, TinyText.Data(48, seed: 13).ContentFingerprint);
    }

    [Fact]
    public void LeftoversOfAKilledWriteAreIgnoredAndCleanedUp()
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyText.Bert(seed: 1))
        {
            new TrainingLoop(Options(folder.Path)).Fit(model, TrainingTasks.SequenceClassification(), Data.Value);
        }

        // What a run killed while writing step 19 leaves: a hidden temporary folder with half a file.
        string leftover = Directory.CreateDirectory(Path.Combine(folder.Path, ".tmp-checkpoint-00000019-0123")).FullName;
        File.WriteAllBytes(Path.Combine(leftover, TrainingCheckpoints.WeightsFileName), [1, 2, 3]);
        Assert.Equal(Path.Combine(folder.Path, "checkpoint-00000018"), TrainingCheckpoints.Latest(folder.Path));

        var resumed = Options(folder.Path);
        resumed.ResumeFromCheckpoint = true;
        using var again = TinyText.Bert(seed: 1);
        TrainingResult result = new TrainingLoop(resumed).Fit(again, TrainingTasks.SequenceClassification(), Data.Value);
        Assert.Equal(18, result.ResumedFromStep);
        Assert.Equal(3, result.Epochs.Count);
        Assert.False(Directory.Exists(leftover));
    }

    // 48 rows, batch 8: 6 steps per epoch, 18 in all.
    private static TrainingOptions Options(string? checkpoints) => new()
    {
        Epochs = 3,
        BatchSize = 8,
        LearningRate = 2e-3,
        WarmupRatio = 0.2,
        CheckpointFolder = checkpoints,
        CheckpointEveryNSteps = 3,
        KeepLastCheckpoints = 3,
        Threads = 1,
        DataLoaderWorkers = 2,
    };
}
