using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Optimization;

namespace Microsoft.ML.Peft.Tests.Training;

public class LearningRatePolicyTests
{
    [Fact]
    public void DefaultsFollowEachMethodsUsualRange()
    {
        LearningRatePolicy policy = LearningRatePolicy.Default;
        Assert.Equal(2e-5, policy.For(FineTuningMethod.Full));
        Assert.Equal(1e-3, policy.For(FineTuningMethod.HeadOnly));
        Assert.InRange(policy.For(FineTuningMethod.LoRA), 2e-4, 5e-4);
        Assert.InRange(policy.For(FineTuningMethod.Adapter), 2e-4, 5e-4);
        Assert.True(policy.For(FineTuningMethod.IA3) > policy.For(FineTuningMethod.LoRA));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.For((FineTuningMethod)99));
    }

    [Fact]
    public void ValuesCanBeOverridden()
    {
        var policy = new LearningRatePolicy { LoRA = 5e-4 };
        Assert.Equal(5e-4, policy.For(FineTuningMethod.LoRA));
        Assert.Equal(2e-5, policy.For(FineTuningMethod.Full));
    }

    [Fact]
    public void OptionsTakeTheMethodsRateUnlessOneIsGiven()
    {
        Assert.Equal(3e-4, new TrainingOptions { Method = FineTuningMethod.LoRA }.EffectiveLearningRate);
        Assert.Equal(1e-2, new TrainingOptions { Method = FineTuningMethod.LoRA, LearningRate = 1e-2 }.EffectiveLearningRate);
        Assert.Equal(7e-4, new TrainingOptions { Method = FineTuningMethod.HeadOnly, LearningRatePolicy = new LearningRatePolicy { HeadOnly = 7e-4 } }.EffectiveLearningRate);
        Assert.Contains("LearningRate", Assert.Throws<InvalidOperationException>(() => new TrainingOptions().EffectiveLearningRate).Message);
    }
}
