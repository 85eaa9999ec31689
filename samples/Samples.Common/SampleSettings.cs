namespace Microsoft.ML.Peft.Samples;

/// <summary>The values of the flags every task sample takes (see <see cref="SampleOptions"/>).</summary>
/// <param name="BaseModel">A Hugging Face folder, checkpoint file or Hub id; null builds a randomly initialised model.</param>
/// <param name="Method">The requested <c>--method</c>, or null for the default (see <see cref="FineTuningChoice.Resolve"/>).</param>
/// <param name="Epochs">Passes over the training rows.</param>
/// <param name="LearningRate">The peak learning rate, or null for the default.</param>
/// <param name="Seed">The seed of the random base, the data split and training.</param>
/// <param name="OutputFolder">Where the saved pipeline and the exported adapter go.</param>
/// <param name="Verbose">Print the training engine's log (devices, per-epoch table as it runs).</param>
public sealed record SampleSettings(string? BaseModel, string? Method, int Epochs, double? LearningRate, int Seed, string OutputFolder, bool Verbose)
{
    /// <summary>Whether the sample trains a randomly initialised model because no <c>--base-model</c> was given.</summary>
    public bool RandomBase => BaseModel is null;

    /// <summary>The fine-tuning method: the requested one or the default for the base.</summary>
    public FineTuningChoice FineTuning => FineTuningChoice.Resolve(Method, RandomBase);
}
