namespace Microsoft.ML.Peft;

/// <summary>
/// The parameter-efficient fine-tuning method of an adapter, as Hugging Face PEFT's <c>PeftType</c>
/// (written to <c>adapter_config.json</c> as <c>peft_type</c>).
/// </summary>
/// <remarks>
/// A new method adds its member here, its JSON name in <see cref="EnumJsonNames"/>, and its config reader in
/// <see cref="PeftConfigJson"/>; everything else lives in its own <c>Tuners/&lt;Method&gt;</c> folder.
/// </remarks>
public enum PeftType
{
    /// <summary>Low-rank adaptation (LoRA) and its variants rsLoRA and DoRA; PEFT's <c>"LORA"</c>.</summary>
    Lora,

    /// <summary>(IA)³, learned rescaling vectors on activations; PEFT's <c>"IA3"</c>.</summary>
    IA3,

    /// <summary>Bottleneck adapters (Houlsby, Pfeiffer, parallel); this library's <c>"BOTTLENECK_ADAPTER"</c> (PEFT has none).</summary>
    BottleneckAdapter,

    /// <summary>Linear probing, only the task head trains; this library's <c>"HEAD_ONLY"</c>.</summary>
    HeadOnly,

    /// <summary>BitFit, every bias and the task head train; this library's <c>"BITFIT"</c>.</summary>
    BitFit,

    /// <summary>Normalization tuning, LayerNorm/BatchNorm weights and biases and the task head train; this library's <c>"LAYERNORM_TUNING"</c>.</summary>
    LayerNormTuning,

    /// <summary>Full fine-tuning, every parameter trains; this library's <c>"FULL_FINE_TUNING"</c>.</summary>
    FullFineTuning,
}
