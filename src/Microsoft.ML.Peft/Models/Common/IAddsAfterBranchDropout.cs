using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// A module that stands in for the output projection of a residual branch (BERT's <c>attention.output.dense</c> and
/// <c>output.dense</c>) and adds its own output after the branch's dropout rather than before it: bottleneck adapters,
/// which Houlsby et al. and AdapterHub place as dense → dropout → adapter → LayerNorm(· + residual). The branch calls
/// <see cref="Forward"/> with its dropout instead of applying the dropout to the module's output. That call bypasses
/// the module's own <c>call</c>, so hooks registered on the wrapper itself do not run there (hooks on the wrapped
/// projection and on the adapter's projections do).
/// </summary>
internal interface IAddsAfterBranchDropout
{
    /// <summary>The wrapped projection of <paramref name="input"/>, passed through <paramref name="dropout"/>, plus this module's addition.</summary>
    Tensor Forward(Tensor input, Func<Tensor, Tensor> dropout);
}
