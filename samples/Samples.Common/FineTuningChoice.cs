using Microsoft.ML.Peft.Tuners.Adapters;
using Microsoft.ML.Peft.Tuners.Baselines;
using Microsoft.ML.Peft.Tuners.IA3;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft.Samples;

/// <summary>The fine-tuning method a sample trains with (<c>--method</c>), as the trainer's <see cref="PeftConfig"/>.</summary>
/// <param name="Name">The flag's value.</param>
/// <param name="Description">What it trains, for the report.</param>
/// <param name="Config">The trainer's <c>Peft</c> setting; null is full fine-tuning.</param>
public sealed record FineTuningChoice(string Name, string Description, PeftConfig? Config)
{
    /// <summary>The values <c>--method</c> accepts.</summary>
    public static readonly string[] Names = ["lora", "head", "full", "ia3", "houlsby"];

    /// <summary>
    /// The method named <paramref name="requested"/>, or the default: LoRA r = 8 on a pretrained base, full fine-tuning on a
    /// randomly initialised one (an adapter on frozen random weights has nothing worth adapting).
    /// </summary>
    public static FineTuningChoice Resolve(string? requested, bool randomBase) =>
        (requested ?? (randomBase ? "full" : "lora")) switch
        {
            // The library's default targets: query/value of BERT, the residual 3×3 convolutions of a ResNet; the head trains fully.
            "lora" => new("lora", "LoRA r=8 on the default targets, head trained fully", new LoraConfig { R = 8 }),
            "head" => new("head", "head only (linear probe), base frozen", new HeadOnlyConfig()),
            "full" => new("full", "full fine-tuning (every weight)", null),
            "ia3" => new("ia3", "(IA)³ scaling vectors on the default targets, head trained fully", new IA3Config()),
            // The swish between a bottleneck's projections is not linear, so the trainer keeps its adapters as layers.
            "houlsby" => new("houlsby", "Houlsby bottleneck adapters (reduction 16), head trained fully", new BottleneckAdapterConfig { Variant = BottleneckVariant.Houlsby }),
            var other => throw new ArgumentException($"Unknown --method '{other}': use one of {string.Join(", ", Names)}."),
        };
}
