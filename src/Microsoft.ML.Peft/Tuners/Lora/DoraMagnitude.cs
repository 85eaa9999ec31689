using TorchSharp;
using TorchSharp.Modules;
using Microsoft.ML.Peft.Tuners;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// DoRA's learned magnitude of one adapter, a module with a single parameter <c>weight</c> as PEFT's
/// <c>DoraLinearLayer</c>, so the in-memory key is <c>lora_magnitude_vector.default.weight</c> (saved, as in PEFT,
/// without <c>.weight</c> and adapter name: <c>…lora_magnitude_vector</c>).
/// </summary>
internal sealed class DoraMagnitude : torch.nn.Module
{
    // The field name is the state-dict name.
    private readonly Parameter weight;

    public DoraMagnitude(torch.Tensor magnitude)
        : base(nameof(DoraMagnitude))
    {
        // Parameters outlive whatever dispose scope the adapter was created in.
        weight = new Parameter(magnitude.DetachFromDisposeScope(), requires_grad: true);
        RegisterComponents();
    }

    /// <summary>The magnitude (looked up through the registry, which <c>to(device)</c> updates).</summary>
    public Parameter Weight => this.Parameter("weight");
}
