namespace Microsoft.ML.Peft.Training.Precision;

/// <summary>The numeric precision of training.</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>
    /// Mixed precision: frozen weights are stored and multiplied in bfloat16 (half the memory and bandwidth), while
    /// trainable weights, their gradients and the optimizer state stay float32. See <see cref="MixedPrecision"/>.
    /// </summary>
    BFloat16,
}
