using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// The activation functions that Hugging Face configs name in <c>hidden_act</c>, with the same math as transformers'
/// <c>ACT2FN</c> table.
/// </summary>
internal static class HiddenActivations
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new(StringComparer.Ordinal)
    {
        // transformers' "gelu" is the exact erf form; the tanh forms are separate names.
        ["gelu"] = x => nn.functional.gelu(x),
        ["gelu_python"] = x => nn.functional.gelu(x),
        ["gelu_new"] = TanhGelu,
        ["gelu_pytorch_tanh"] = TanhGelu,
        ["gelu_fast"] = TanhGelu,
        ["quick_gelu"] = x =>
        {
            using Scalar factor = 1.702; // explicit: an implicit Scalar can be finalized during the call
            using Tensor scaled = x.mul(factor);
            using Tensor gate = scaled.sigmoid();
            return x.mul(gate);
        },
        ["relu"] = x => nn.functional.relu(x),
        ["silu"] = x => nn.functional.silu(x),
        ["swish"] = x => nn.functional.silu(x),
        ["tanh"] = x => x.tanh(),
        ["sigmoid"] = x => x.sigmoid(),
    };

    /// <summary>The names this library understands, for error messages.</summary>
    public static IReadOnlyCollection<string> SupportedNames => ByName.Keys;

    public static bool IsSupported(string? name) => name is not null && ByName.ContainsKey(name);

    /// <summary>The function for <paramref name="name"/>; callers validate the name first (see <see cref="IsSupported"/>).</summary>
    public static Func<Tensor, Tensor> Resolve(string name) =>
        ByName.TryGetValue(name, out var activation)
            ? activation
            : throw new ArgumentException(
                $"hidden_act '{name}' is not supported; supported: {string.Join(", ", SupportedNames)}.", nameof(name));

    private static Tensor TanhGelu(Tensor x) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}
