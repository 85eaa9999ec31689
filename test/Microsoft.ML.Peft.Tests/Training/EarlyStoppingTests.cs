using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class EarlyStoppingTests
{
    // Training pulls a single weight w from 0 towards 2 (y = 2x); validation wants w = 0.5 (y = 0.5x). The validation
    // loss falls while w approaches 0.5 and rises after it passes.
    private static readonly VectorData Train = new([1, 1, 1, 1], [2, 2, 2, 2]);
    private static readonly VectorData Validation = new([1, 1], [0.5f, 0.5f]);

    [Fact]
    public void StopsAfterPatienceAndRestoresTheBestEpoch()
    {
        using Linear model = VectorData.ZeroLine();
        var weights = new List<float>();
        var loop = new TrainingLoop(Options(patience: 2, restore: true, epochWeights: weights, model));
        TrainingResult result = loop.Fit(model, VectorData.Task(), Train, Validation);

        Assert.Equal(StopReason.EarlyStopped, result.StopReason);
        int best = result.BestEpoch!.Value;
        Assert.True(best >= 2 && best < result.Epochs.Count, $"best epoch {best} of {result.Epochs.Count}");
        Assert.Equal(best + 2, result.Epochs.Count);
        double bestLoss = result.Epochs[best - 1].Validation!.Loss;
        Assert.Equal(bestLoss, result.BestMetric);
        Assert.All(result.Epochs, e => Assert.True(e.Validation!.Loss >= bestLoss));
        Assert.True(result.RestoredBestWeights);

        // The weight after the last epoch moved on; the model holds the best epoch's weight again.
        Assert.NotEqual(weights[best - 1], weights[^1]);
        Assert.Equal(weights[best - 1], model.weight!.data<float>()[0]);
        Assert.Equal(bestLoss, loop.Evaluate(model, VectorData.Task(), Validation).Loss, 12);
    }

    [Fact]
    public void WithoutRestoringTheLastWeightsStay()
    {
        using Linear model = VectorData.ZeroLine();
        var weights = new List<float>();
        TrainingResult result = new TrainingLoop(Options(patience: null, restore: false, epochWeights: weights, model)).Fit(model, VectorData.Task(), Train, Validation);
        Assert.Equal(StopReason.Completed, result.StopReason);
        Assert.Equal(8, result.Epochs.Count);
        Assert.False(result.RestoredBestWeights);
        Assert.True(result.BestEpoch < 8);
        Assert.Equal(weights[^1], model.weight!.data<float>()[0]);
    }

    [Fact]
    public void SelectionCanMaximiseAMetricInsteadOfTheLoss()
    {
        using Linear model = VectorData.ZeroLine();
        var options = Options(patience: 1, restore: true, epochWeights: [], model);
        options.SelectionMetric = EvaluationMetric.Accuracy;
        var error = Assert.Throws<InvalidOperationException>(() => new TrainingLoop(options).Fit(model, VectorData.Task(), Train, Validation));
        Assert.Contains("Accuracy", error.Message);
    }

    [Fact]
    public void RestoringTheBestEpochAlsoRestoresItsBatchNormStatistics()
    {
        // BatchNorm's running statistics move every training batch; evaluation normalizes with them, so the best
        // epoch's score comes back only if its statistics come back with its weights.
        var norm = nn.BatchNorm1d(1, affine: false);
        using var model = nn.Sequential(("norm", (nn.Module<Tensor, Tensor>)norm), ("line", nn.Linear(1, 1)));
        var options = new TrainingOptions
        {
            Epochs = 8,
            BatchSize = 2,
            LearningRate = 0.2,
            Schedule = LearningRateScheduleKind.Constant,
            Optimizer = new AdamWOptions { WeightDecay = 0 },
            MaxGradientNorm = null,
            Shuffle = false,
            Threads = 1,
        };
        var train = new VectorData([0, 1, 10, 11, 5, 6], [0, 1, 10, 11, 5, 6]);
        var validation = new VectorData([0, 5, 10], [3, 3, 3]);
        var loop = new TrainingLoop(options);
        TrainingResult result = loop.Fit(model, VectorData.Task(), train, validation);

        Assert.True(result.RestoredBestWeights);
        Assert.True(result.BestEpoch < 8, $"best epoch {result.BestEpoch}");
        Assert.Equal(result.BestMetric!.Value, loop.Evaluate(model, VectorData.Task(), validation).Loss, 12);
        Assert.Equal(3 * result.BestEpoch!.Value, norm.num_batches_tracked!.item<long>());
    }

    private static TrainingOptions Options(int? patience, bool restore, List<float> epochWeights, Linear model) => new()
    {
        Epochs = 8,
        BatchSize = 4,
        LearningRate = 0.15,
        Schedule = LearningRateScheduleKind.Constant,
        Optimizer = new AdamWOptions { WeightDecay = 0 },
        MaxGradientNorm = null,
        EarlyStoppingPatience = patience,
        RestoreBestWeights = restore,
        Threads = 1,

        // One step per epoch: the weight after each step is the weight at that epoch's end.
        Progress = new SynchronousProgress<TrainingProgress>(_ => epochWeights.Add(model.weight!.data<float>()[0])),
    };
}
