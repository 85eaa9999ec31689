namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>
/// Default peak learning rates per fine-tuning method, from the usual practice of each method's paper and of the
/// Hugging Face PEFT examples: few trainable parameters on a frozen base tolerate (and need) far larger steps than
/// full fine-tuning. Every value can be overridden with an object initializer:
/// <c>new LearningRatePolicy { LoRA = 5e-4 }</c>.
/// </summary>
public sealed class LearningRatePolicy
{
    /// <summary>The built-in defaults.</summary>
    public static LearningRatePolicy Default { get; } = new();

    /// <summary>Full fine-tuning. Default 2e-5 (BERT's fine-tuning range is 2e-5…5e-5).</summary>
    public double Full { get; init; } = 2e-5;

    /// <summary>Head-only training. Default 1e-3.</summary>
    public double HeadOnly { get; init; } = 1e-3;

    /// <summary>LoRA. Default 3e-4 (the usual range is 2e-4…5e-4).</summary>
    public double LoRA { get; init; } = 3e-4;

    /// <summary>Bottleneck adapters. Default 3e-4 (adapter papers use 1e-4…1e-3).</summary>
    public double Adapter { get; init; } = 3e-4;

    /// <summary>IA³. Default 3e-3 (IA³ trains only rescaling vectors, as in T-Few).</summary>
    public double IA3 { get; init; } = 3e-3;

    /// <summary>BitFit. Default 1e-3 (the BitFit paper searches 1e-4…1e-3).</summary>
    public double BitFit { get; init; } = 1e-3;

    /// <summary>The peak learning rate for <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a defined value.</exception>
    public double For(FineTuningMethod method) => method switch
    {
        FineTuningMethod.Full => Full,
        FineTuningMethod.HeadOnly => HeadOnly,
        FineTuningMethod.LoRA => LoRA,
        FineTuningMethod.Adapter => Adapter,
        FineTuningMethod.IA3 => IA3,
        FineTuningMethod.BitFit => BitFit,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown fine-tuning method."),
    };
}
