namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>How a model is fine-tuned, which decides its default learning rate (<see cref="LearningRatePolicy"/>).</summary>
public enum FineTuningMethod
{
    /// <summary>Every weight is trained.</summary>
    Full,

    /// <summary>Only the task head (classifier) is trained; the encoder is frozen.</summary>
    HeadOnly,

    /// <summary>Low-rank adapters (LoRA) on a frozen base.</summary>
    LoRA,

    /// <summary>Bottleneck adapters (Houlsby / Pfeiffer) on a frozen base.</summary>
    Adapter,

    /// <summary>IA³ learned rescaling vectors on a frozen base.</summary>
    IA3,

    /// <summary>Only the biases are trained (BitFit).</summary>
    BitFit,
}
