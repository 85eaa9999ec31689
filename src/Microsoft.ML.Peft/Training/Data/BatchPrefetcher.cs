namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// Builds the batches of a plan on worker threads ahead of the training thread: a bounded producer/consumer queue
/// that hands batches out strictly in plan order. Workers claim batch numbers in increasing order and at most
/// <c>capacity</c> batches are built but not yet taken, so memory stays bounded. Results do not depend on thread
/// timing, because each batch is a pure function of its rows and the <see cref="BatchContext"/>.
/// </summary>
internal sealed class BatchPrefetcher<TBatch> : IDisposable
    where TBatch : ITrainingBatch
{
    private readonly ITrainingData<TBatch> _data;
    private readonly IReadOnlyList<int[]> _plan;
    private readonly BatchContext _context;
    private readonly TaskCompletionSource<TBatch>?[] _slots;
    private readonly SemaphoreSlim? _capacity;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _workers;
    private int _lastClaimed;
    private int _nextToTake;

    /// <param name="data">Where rows come from.</param>
    /// <param name="plan">The batches, as row positions.</param>
    /// <param name="firstBatch">The first batch to build (a resumed epoch skips the ones already trained on).</param>
    /// <param name="context">Seed, epoch and mode of the batches.</param>
    /// <param name="workers">Worker threads; 0 builds each batch on the caller's thread when taken.</param>
    /// <param name="capacity">The most batches built ahead of the consumer.</param>
    public BatchPrefetcher(ITrainingData<TBatch> data, IReadOnlyList<int[]> plan, int firstBatch, BatchContext context, int workers, int capacity)
    {
        _data = data;
        _plan = plan;
        _context = context;
        _nextToTake = firstBatch;
        _lastClaimed = firstBatch - 1;
        _slots = new TaskCompletionSource<TBatch>?[plan.Count];
        for (int i = firstBatch; i < plan.Count; i++)
        {
            _slots[i] = new TaskCompletionSource<TBatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        int remaining = plan.Count - firstBatch;
        int threads = Math.Min(workers, remaining);
        _workers = new Thread[Math.Max(0, threads)];
        if (_workers.Length == 0)
        {
            return;
        }

        _capacity = new SemaphoreSlim(Math.Max(1, capacity));
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Thread(Work) { IsBackground = true, Name = $"peft-data-loader-{w}" };
            _workers[w].Start();
        }
    }

    /// <summary>The next batch of the plan, waiting for a worker if needed; a worker's exception is rethrown here.</summary>
    public TBatch Take()
    {
        int index = _nextToTake++;
        if (index >= _plan.Count)
        {
            throw new InvalidOperationException("Every batch of the plan has been taken.");
        }

        if (_capacity is null)
        {
            _slots[index] = null;
            return _data.CreateBatch(_plan[index], _context);
        }

        TaskCompletionSource<TBatch> slot = _slots[index]!;
        try
        {
            return slot.Task.GetAwaiter().GetResult();
        }
        finally
        {
            // Only now has the worker certainly finished with the slot; dropping it frees the batch once trained on.
            _slots[index] = null;
            _capacity.Release();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        _capacity?.Dispose();
        _stop.Dispose();
    }

    private void Work()
    {
        while (true)
        {
            try
            {
                _capacity!.Wait(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            int index = Interlocked.Increment(ref _lastClaimed);
            if (index >= _plan.Count)
            {
                return;
            }

            TaskCompletionSource<TBatch> slot = _slots[index]!;
            try
            {
                slot.SetResult(_data.CreateBatch(_plan[index], _context));
            }
            catch (Exception exception)
            {
                slot.SetException(exception);
            }
        }
    }
}
