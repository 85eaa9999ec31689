using Microsoft.ML.Peft.Training.Optimization;

namespace Microsoft.ML.Peft.Tests.Training;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(55, 0.5)]
    [InlineData(91, 0.1)]
    [InlineData(100, 0.0)]
    [InlineData(120, 0.0)]
    public void LinearWarmsUpThenDecaysToZero(long step, double multiplier)
    {
        var schedule = new LearningRateSchedule(LearningRateScheduleKind.Linear, 2e-4, warmupSteps: 10, totalSteps: 100);
        Assert.Equal(multiplier, schedule.Multiplier(step), 12);
        Assert.Equal(2e-4 * multiplier, schedule.LearningRateAt(step), 15);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(10, 1.0)]
    [InlineData(55, 0.5)]
    [InlineData(100, 0.0)]
    public void CosineFollowsHalfACosineAfterWarmup(long step, double multiplier)
    {
        var schedule = new LearningRateSchedule(LearningRateScheduleKind.Cosine, 1.0, warmupSteps: 10, totalSteps: 100);
        Assert.Equal(multiplier, schedule.Multiplier(step), 12);

        // A quarter of the way through a decay without warmup: 0.5·(1 + cos(π/4)).
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI / 4)), new LearningRateSchedule(LearningRateScheduleKind.Cosine, 1.0, 0, 100).Multiplier(25), 12);
    }

    [Fact]
    public void ConstantHoldsThePeakAfterWarmup()
    {
        var schedule = new LearningRateSchedule(LearningRateScheduleKind.Constant, 1e-3, warmupSteps: 4, totalSteps: 10);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1, 1, 1], Enumerable.Range(0, 7).Select(s => schedule.Multiplier(s)));
    }

    [Fact]
    public void WithoutWarmupTheFirstStepUsesThePeak()
    {
        var schedule = new LearningRateSchedule(LearningRateScheduleKind.Linear, 1.0, warmupSteps: 0, totalSteps: 4);
        Assert.Equal([1.0, 0.75, 0.5, 0.25, 0.0], Enumerable.Range(0, 5).Select(s => schedule.Multiplier(s)));
    }

    [Theory]
    [InlineData(100, 0.06, 6)]
    [InlineData(10, 0.15, 2)]
    [InlineData(48, 0.1, 5)]
    [InlineData(7, 0.0, 0)]
    public void WarmupRatioRoundsUp(long total, double ratio, long warmup) =>
        Assert.Equal(warmup, LearningRateSchedule.WarmupStepsFor(total, ratio));

    [Fact]
    public void RejectsInvalidArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateScheduleKind.Linear, 0, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateScheduleKind.Linear, 1, -1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateScheduleKind.Linear, 1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupStepsFor(10, 1.5));
    }
}
