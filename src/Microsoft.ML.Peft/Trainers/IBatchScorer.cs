namespace Microsoft.ML.Peft.Trainers;

/// <summary>Scores a batch of inputs at once; safe to call from several threads.</summary>
/// <typeparam name="TInput">One row's input.</typeparam>
internal interface IBatchScorer<TInput>
{
    /// <summary>The scores of each input (<see cref="ScoreOutputs.ScoresPerRow"/> values each), in input order.</summary>
    float[][] Score(IReadOnlyList<TInput> inputs);
}
