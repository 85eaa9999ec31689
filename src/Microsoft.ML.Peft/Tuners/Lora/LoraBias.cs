namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>Which biases train and are saved with a LoRA adapter (PEFT's <c>bias</c>).</summary>
public enum LoraBias
{
    /// <summary>No bias trains (<c>"none"</c>, the default).</summary>
    None,

    /// <summary>Every bias of the model trains and is saved (<c>"all"</c>); disabling the adapter no longer gives the base output.</summary>
    All,

    /// <summary>Only the biases of the layers that carry LoRA train and are saved (<c>"lora_only"</c>).</summary>
    LoraOnly,
}
