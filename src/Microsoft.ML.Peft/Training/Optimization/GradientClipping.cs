using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>Gradient clipping by the global L2 norm, as PyTorch's <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all gradients of <paramref name="parameters"/> taken together and, when it exceeds
    /// <paramref name="maxNorm"/>, scales every gradient by <c>maxNorm / (norm + 1e-6)</c>. Parameters without a gradient
    /// are ignored. Returns the norm before clipping (0 when no parameter has a gradient; NaN or infinity is returned
    /// as is and, as in PyTorch, propagates into the gradients).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive.</exception>
    public static double ClipByGlobalNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be positive.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        List<Tensor> grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
        {
            return 0;
        }

        Tensor total = linalg.vector_norm(stack(grads.Select(g => linalg.vector_norm(g.to(ScalarType.Float32))).ToArray()));
        double norm = total.item<float>();
        double coefficient = Math.Min(1.0, maxNorm / (norm + 1e-6));
        if (coefficient < 1.0 || double.IsNaN(coefficient))
        {
            using Scalar factor = coefficient.ToScalar();
            foreach (Tensor grad in grads)
            {
                grad.mul_(factor);
            }
        }

        return norm;
    }
}
