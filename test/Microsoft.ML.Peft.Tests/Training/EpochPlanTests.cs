using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Data;

namespace Microsoft.ML.Peft.Tests.Training;

public class EpochPlanTests
{
    private static readonly int[] Lengths = RandomLengths(1003, seed: 4);

    [Theory]
    [InlineData(true, 50)]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(false, 3)]
    public void EveryRowAppearsExactlyOncePerEpoch(bool shuffle, int window)
    {
        for (int epoch = 0; epoch < 3; epoch++)
        {
            int[][] plan = EpochPlan.ForTraining(Lengths.Length, 8, seed: 1, epoch, shuffle, i => Lengths[i], window);
            Assert.Equal(126, plan.Length);
            Assert.Equal(Enumerable.Range(0, Lengths.Length), plan.SelectMany(b => b).Order());
            Assert.Single(plan, b => b.Length != 8);
        }
    }

    [Fact]
    public void BucketingCutsPadding()
    {
        int[][] plain = EpochPlan.ForTraining(Lengths.Length, 8, seed: 1, epoch: 0, shuffle: true, i => Lengths[i], bucketWindowBatches: 0);
        int[][] bucketed = EpochPlan.ForTraining(Lengths.Length, 8, seed: 1, epoch: 0, shuffle: true, i => Lengths[i], bucketWindowBatches: 50);
        long real = Lengths.Sum();
        long plainPadded = PaddedTokens(plain);
        long bucketedPadded = PaddedTokens(bucketed);
        Assert.True(bucketedPadded < plainPadded, $"{bucketedPadded} >= {plainPadded}");
        Assert.True(bucketedPadded - real < (plainPadded - real) / 4, $"padding {bucketedPadded - real} vs {plainPadded - real} without bucketing");
    }

    [Fact]
    public void ASmallDataSetsBatchesChangeFromEpochToEpochUnderBucketing()
    {
        // 640 rows in batches of 16 fit in one 50-batch window; sorted whole, the same rows would meet again every epoch.
        // As Hugging Face's group_by_length, a window holds at most a quarter of the batches (here 10).
        int[] lengths = RandomLengths(640, seed: 5);
        double Together(int rule)
        {
            int[][] first = EpochPlan.ForTraining(640, 16, seed: 1, epoch: 0, shuffle: true, i => lengths[i], bucketWindowBatches: 50, rule);
            int[][] second = EpochPlan.ForTraining(640, 16, seed: 1, epoch: 1, shuffle: true, i => lengths[i], bucketWindowBatches: 50, rule);
            Assert.Equal(Enumerable.Range(0, 640), second.SelectMany(b => b).Order());
            var batchOf = new int[640];
            for (int b = 0; b < second.Length; b++)
            {
                foreach (int row in second[b])
                {
                    batchOf[row] = b;
                }
            }

            long pairs = 0, again = 0;
            foreach (int[] batch in first)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    for (int j = i + 1; j < batch.Length; j++)
                    {
                        pairs++;
                        again += batchOf[batch[i]] == batchOf[batch[j]] ? 1 : 0;
                    }
                }
            }

            return (double)again / pairs;
        }

        double current = Together(EpochPlan.CurrentRule);
        Assert.True(current < 0.25, $"{current:P1} of row pairs share a batch again in the next epoch");

        // Runs resumed from checkpoints written under rule 1 keep its single window (and its epochs).
        Assert.True(Together(rule: 1) > 0.5);
    }

    [Fact]
    public void ShufflingIsSeededByRunSeedAndEpoch()
    {
        int[][] Plan(long seed, int epoch) => EpochPlan.ForTraining(Lengths.Length, 8, seed, epoch, shuffle: true, i => Lengths[i], 50);
        Assert.Equal(Plan(7, 2), Plan(7, 2));
        Assert.NotEqual(Plan(7, 2), Plan(7, 3));
        Assert.NotEqual(Plan(7, 2), Plan(8, 2));
        Assert.NotEqual(Enumerable.Range(0, Lengths.Length), EpochPlan.ForTraining(Lengths.Length, 8, 7, 0, true, null, 0).SelectMany(b => b));
        Assert.Equal(Enumerable.Range(0, Lengths.Length), EpochPlan.ForTraining(Lengths.Length, 8, 7, 0, false, null, 0).SelectMany(b => b));
    }

    [Fact]
    public void EvaluationBatchesCoverEveryRowOnceSortedByLength()
    {
        int[][] plan = EpochPlan.ForEvaluation(Lengths.Length, 16, i => Lengths[i]);
        Assert.Equal(Enumerable.Range(0, Lengths.Length), plan.SelectMany(b => b).Order());
        Assert.Equal(plan.SelectMany(b => b).Select(i => Lengths[i]), plan.SelectMany(b => b).Select(i => Lengths[i]).OrderDescending());
    }

    [Fact]
    public void TextBatchesArePaddedToTheirLongestRow()
    {
        TextDataSet data = TinyText.Data(40, seed: 3);
        int[][] plan = EpochPlan.ForTraining(data.Count, 4, seed: 1, epoch: 0, shuffle: true, data.GetLength, 50);
        foreach (int[] rows in plan)
        {
            TextBatch batch = data.CreateBatch(rows, new BatchContext(1, 0, true));
            Assert.Equal(rows.Max(data.GetLength), batch.Tokens.SequenceLength);
            Assert.Equal(rows, batch.RowIndices);
            Assert.Equal(rows.Select(r => data.ClassLabels![r]), batch.ClassLabels!);
            Assert.Equal(rows.Sum(data.GetLength), batch.TokenCount);
        }
    }

    private static long PaddedTokens(int[][] plan) => plan.Sum(b => (long)b.Length * b.Max(i => Lengths[i]));

    private static int[] RandomLengths(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(4, 129)).ToArray();
    }
}
