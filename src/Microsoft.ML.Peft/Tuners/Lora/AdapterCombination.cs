namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>How <see cref="LoraModel.AddWeightedAdapter"/> combines LoRA adapters (PEFT's <c>combination_type</c>).</summary>
public enum AdapterCombination
{
    /// <summary>
    /// PEFT's <c>"linear"</c>: A = Σ √(wᵢ·sᵢ)·Aᵢ and B = Σ √(wᵢ·sᵢ)·Bᵢ (sᵢ each adapter's scale), same rank; the cross
    /// terms mean the update is not exactly Σ wᵢ·ΔWᵢ. All ranks must be equal and every wᵢ·sᵢ non-negative.
    /// </summary>
    Linear,

    /// <summary>
    /// PEFT's <c>"cat"</c>: A and B concatenated along the rank (A = [w₁s₁A₁; w₂s₂A₂; …], B = [B₁ B₂ …]), so the
    /// update is exactly Σ wᵢ·ΔWᵢ; the rank is the sum of the ranks.
    /// </summary>
    Cat,
}
