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
}
