namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// What a data set needs to know to build a batch deterministically: the run's seed, the epoch, and whether the batch
/// is for training (random augmentation) or evaluation (deterministic preprocessing).
/// </summary>
/// <param name="Seed">The training seed.</param>
/// <param name="Epoch">The 0-based epoch.</param>
/// <param name="Training">True for training batches, false for evaluation.</param>
public readonly record struct BatchContext(long Seed, int Epoch, bool Training)
{
    /// <summary>
    /// The seed of the random choices (crop, flip) made for row <paramref name="index"/> in this epoch: a function of
    /// (seed, epoch, index) only, so results do not depend on which worker thread builds the batch, or when.
    /// </summary>
    public ulong SampleSeed(int index) => SeededRandom.Derive(Seed, RandomStream.Augmentation, Epoch, index);
}
