using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Optimization;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class GradientAccumulationTests
{
    [Fact]
    public void AccumulatedMicroBatchesEqualOneBigBatch()
    {
        // 10 rows: one batch of 8 then one of 2, against micro-batches of 2 accumulated 4 at a time (4 + 1).
        var data = TinyText.Data(10, seed: 21);
        Dictionary<string, float[]> initial = TinyText.Trainable(TinyText.Bert(seed: 5));

        Dictionary<string, float[]> Train(int batchSize, int accumulation)
        {
            using var model = TinyText.Bert(seed: 5);
            var options = new TrainingOptions
            {
                Epochs = 2,
                BatchSize = batchSize,
                GradientAccumulationSteps = accumulation,
                LearningRate = 0.05,

                // A large epsilon makes the AdamW step nearly linear in the gradient, so the test compares gradients
                // rather than Adam's sign-like normalisation of near-zero ones.
                Optimizer = new AdamWOptions { Epsilon = 1.0, WeightDecay = 0.01 },
                LengthBucketWindow = 0,
                Threads = 1,
            };
            TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), data);
            Assert.Equal(2 * ((((10 + batchSize - 1) / batchSize) + accumulation - 1) / accumulation), result.Steps);
            return TinyText.Trainable(model);
        }

        Dictionary<string, float[]> big = Train(batchSize: 8, accumulation: 1);
        Dictionary<string, float[]> accumulated = Train(batchSize: 2, accumulation: 4);
        Dictionary<string, float[]> unaccumulated = Train(batchSize: 2, accumulation: 1);
        Assert.True(TinyText.MaxDifference(big, initial) > 1e-4, "training did not move the weights");
        Assert.True(TinyText.MaxDifference(big, accumulated) < 1e-6, $"max difference {TinyText.MaxDifference(big, accumulated):E2}");
        Assert.True(TinyText.MaxDifference(big, unaccumulated) > 1e-4, "micro-batches without accumulation should differ");
    }
}
