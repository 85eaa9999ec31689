namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>The ways of fine-tuning the benchmark compares, by their names in the JSON rows.</summary>
internal static class FineTuningMethods
{
    /// <summary>Every parameter trains.</summary>
    public const string Full = "full";

    /// <summary>LoRA r = 8 (BERT: query and value; ResNet: the residual 3×3 convolutions), plus the head.</summary>
    public const string Lora = "lora";

    /// <summary>Houlsby bottleneck adapters (reduction 16, swish) plus the head.</summary>
    public const string Houlsby = "houlsby";

    /// <summary>Only the classification head trains.</summary>
    public const string Head = "head";

    public static readonly string[] All = [Full, Lora, Houlsby, Head];
}
