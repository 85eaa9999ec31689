using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// Tensor-by-number arithmetic with explicit, disposed <see cref="Scalar"/>s. An implicit Scalar (from <c>t * 2.0</c>)
/// is unreachable as soon as its handle is passed to libtorch, so the finalizer can free it while the native call
/// still reads it; this was seen to crash training.
/// </summary>
internal static class TensorScaling
{
    /// <summary><paramref name="tensor"/> × <paramref name="factor"/>.</summary>
    public static Tensor Scaled(this Tensor tensor, double factor)
    {
        using Scalar scalar = factor;
        return tensor.mul(scalar);
    }

    /// <summary><paramref name="tensor"/> − <paramref name="value"/>.</summary>
    public static Tensor Minus(this Tensor tensor, double value)
    {
        using Scalar scalar = value;
        return tensor.sub(scalar);
    }
}
