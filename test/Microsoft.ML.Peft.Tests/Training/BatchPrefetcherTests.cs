using Microsoft.ML.Peft.Training.Data;

namespace Microsoft.ML.Peft.Tests.Training;

public class BatchPrefetcherTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(4, 2)]
    [InlineData(3, 8)]
    public void HandsOutBatchesInPlanOrderWithBoundedLookahead(int workers, int capacity)
    {
        var data = new SlowData(fail: -1);
        int[][] plan = Enumerable.Range(0, 40).Select(b => new[] { 2 * b, (2 * b) + 1 }).ToArray();
        using var prefetcher = new BatchPrefetcher<SlowData.Batch>(data, plan, firstBatch: 3, new BatchContext(1, 0, true), workers, capacity);
        int maxOutstanding = 0;
        for (int b = 3; b < plan.Length; b++)
        {
            SlowData.Batch batch = prefetcher.Take();
            Assert.Equal(plan[b], batch.RowIndices);
            maxOutstanding = Math.Max(maxOutstanding, data.Built - (b - 2));
        }

        Assert.Equal(37, data.Built);
        Assert.True(maxOutstanding <= capacity + 1, $"{maxOutstanding} batches were built ahead with capacity {capacity}");
        Assert.Throws<InvalidOperationException>(() => prefetcher.Take());
    }

    [Fact]
    public void AWorkersExceptionSurfacesWhenItsBatchIsTaken()
    {
        var data = new SlowData(fail: 5);
        int[][] plan = Enumerable.Range(0, 10).Select(b => new[] { b }).ToArray();
        using var prefetcher = new BatchPrefetcher<SlowData.Batch>(data, plan, 0, new BatchContext(1, 0, true), workers: 3, capacity: 4);
        for (int b = 0; b < 5; b++)
        {
            Assert.Equal([b], prefetcher.Take().RowIndices);
        }

        Assert.Equal("row 5 is broken", Assert.Throws<InvalidDataException>(() => prefetcher.Take()).Message);
    }

    [Fact]
    public void DisposingStopsWorkersEarly()
    {
        var data = new SlowData(fail: -1);
        int[][] plan = Enumerable.Range(0, 1000).Select(b => new[] { b }).ToArray();
        var prefetcher = new BatchPrefetcher<SlowData.Batch>(data, plan, 0, new BatchContext(1, 0, true), workers: 2, capacity: 2);
        prefetcher.Take();
        prefetcher.Dispose();
        int built = data.Built;
        Thread.Sleep(50);
        Assert.Equal(built, data.Built);
        Assert.True(built < 10, $"{built} batches were built");
    }

    /// <summary>Builds batches after a random pause, so workers finish out of order.</summary>
    private sealed class SlowData(int fail) : ITrainingData<SlowData.Batch>
    {
        private int _built;

        public int Built => Volatile.Read(ref _built);

        public int Count => 2000;

        public bool HasLengths => false;

        public int GetLength(int index) => 1;

        public Batch CreateBatch(IReadOnlyList<int> indices, BatchContext context)
        {
            Thread.Sleep(Random.Shared.Next(0, 3));
            if (indices.Contains(fail))
            {
                throw new InvalidDataException($"row {fail} is broken");
            }

            Interlocked.Increment(ref _built);
            return new Batch(indices.ToArray());
        }

        public sealed record Batch(IReadOnlyList<int> RowIndices) : ITrainingBatch
        {
            public int Count => RowIndices.Count;

            public IReadOnlyList<int>? ClassLabels => null;

            public IReadOnlyList<float>? Targets => null;
        }
    }
}
