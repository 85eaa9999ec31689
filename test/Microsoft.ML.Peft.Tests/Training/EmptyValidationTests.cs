using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>
/// An empty validation set has no score: scored as loss 0 it would stay the best epoch forever and roll the model back
/// to epoch 1, so the loop refuses it before training.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public class EmptyValidationTests
{
    private static readonly VectorData Train = new([1, 1, 1, 1], [2, 2, 2, 2]);

    [Fact]
    public void AnEmptyValidationSetIsRefusedBeforeTraining()
    {
        using Linear model = VectorData.ZeroLine();
        var error = Assert.Throws<ArgumentException>(() => new TrainingLoop(Options()).Fit(model, VectorData.Task(), Train, new VectorData([], [])));
        Assert.Equal("validationData", error.ParamName);
        Assert.Contains("The validation data has no rows", error.Message);
        Assert.Equal(0f, model.weight!.data<float>()[0]);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void AValidationFractionThatHoldsOutNoRowIsRefusedBeforeTraining(double fraction)
    {
        using Linear model = VectorData.ZeroLine();
        var options = Options();
        options.ValidationFraction = fraction;
        var error = Assert.Throws<ArgumentException>(() => new TrainingLoop(options).Fit(model, VectorData.Task(), new VectorData([1], [2])));
        Assert.Equal(nameof(TrainingOptions.ValidationFraction), error.ParamName);
        Assert.Contains($"ValidationFraction {fraction} holds out no row of the 1 training row(s)", error.Message);
        Assert.Equal(0f, model.weight!.data<float>()[0]);
    }

    [Fact]
    public void EvaluatingNoRowsIsRefusedRatherThanScoredZero()
    {
        using Linear model = VectorData.ZeroLine();
        var error = Assert.Throws<ArgumentException>(() => new TrainingLoop(Options()).Evaluate(model, VectorData.Task(), new VectorData([], [])));
        Assert.Equal("data", error.ParamName);
    }

    private static TrainingOptions Options() => new()
    {
        Epochs = 4,
        BatchSize = 4,
        LearningRate = 0.15,
        Schedule = LearningRateScheduleKind.Constant,
        Optimizer = new AdamWOptions { WeightDecay = 0 },
        MaxGradientNorm = null,
        Threads = 1,
    };
}
