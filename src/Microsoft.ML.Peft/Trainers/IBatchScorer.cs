namespace Microsoft.ML.Peft.Trainers;

/// <summary>Scores many inputs in forward passes of a bounded size; safe to call from several threads.</summary>
/// <typeparam name="TInput">One row's input.</typeparam>
internal interface IBatchScorer<TInput>
{
    /// <summary>
    /// The scores of each input (<see cref="ScoreOutputs.ScoresPerRow"/> values each), in input order, computed in forward
    /// passes of at most <paramref name="batchSize"/> rows that the scorer composes as it sees fit (see <see cref="ScoringBatches"/>).
    /// </summary>
    float[][] Score(IReadOnlyList<TInput> inputs, int batchSize);
}
