namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>How a new LoRA adapter's weights start (PEFT's <c>init_lora_weights</c>).</summary>
public enum LoraInitialization
{
    /// <summary>
    /// PEFT's <c>true</c>, the reference initialization: A kaiming-uniform (a = √5), B zero (for embeddings A zero,
    /// B standard normal), so the adapted model starts out computing exactly what the base model computes.
    /// </summary>
    Default,

    /// <summary>PEFT's <c>"gaussian"</c>: A normal with standard deviation 1/r, B zero (embeddings as <see cref="Default"/>).</summary>
    Gaussian,

    /// <summary>
    /// PEFT's <c>false</c>: A and B keep their layers' random initialization, so B is not zero and the adapter changes
    /// the output from the start. Meant for tests.
    /// </summary>
    Random,
}
