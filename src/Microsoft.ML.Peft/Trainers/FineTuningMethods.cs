using Microsoft.ML.Peft.Training.Optimization;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>Which <see cref="FineTuningMethod"/> a PEFT configuration is, for the engine's default learning rate.</summary>
internal static class FineTuningMethods
{
    /// <summary>
    /// The method of <paramref name="config"/>; null (no adapter) is full fine-tuning. Matched by the name of its
    /// <see cref="PeftType"/>, so methods added later get their rate without a change here; an unknown one gets LoRA's.
    /// </summary>
    public static FineTuningMethod For(PeftConfig? config)
    {
        if (config is null)
        {
            return FineTuningMethod.Full;
        }

        string name = config.PeftType.ToString();
        bool Has(string part) => name.Contains(part, StringComparison.OrdinalIgnoreCase);
        return name switch
        {
            _ when Has("Lora") => FineTuningMethod.LoRA,
            _ when Has("Ia3") => FineTuningMethod.IA3,
            _ when Has("BitFit") => FineTuningMethod.BitFit,
            _ when Has("Head") || Has("Linear") => FineTuningMethod.HeadOnly,
            _ when Has("Full") => FineTuningMethod.Full,
            _ when Has("Adapter") || Has("Bottleneck") || Has("Houlsby") || Has("Pfeiffer") => FineTuningMethod.Adapter,
            _ => FineTuningMethod.LoRA,
        };
    }
}
