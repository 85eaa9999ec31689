using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft;

/// <summary>
/// Tensor arithmetic with Scalars that stay alive through the native call. An implicit Scalar (from <c>t * 2.0</c>,
/// and the alpha = 1 that TorchSharp's <c>add</c>/<c>add_</c> of two tensors and the <c>+</c> operator create;
/// its <c>sub</c> of two tensors passes no Scalar)
/// is unreachable as soon as its handle is passed to libtorch, so the finalizer can free it while the native call
/// still reads it; this was seen to crash training at random steps ("argument alpha must not be a floating point
/// number", "Expected false to be true" from Scalar::toDouble).
/// </summary>
internal static class TensorScaling
{
    // Rooted for the life of the process, so never finalized; Scalars are immutable, so every thread can share it.
    private static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="tensor"/> + <paramref name="other"/> (use instead of <c>+</c> and <c>add(Tensor)</c>).</summary>
    public static Tensor Plus(this Tensor tensor, Tensor other) => tensor.add(other, One);

    /// <summary><paramref name="tensor"/> += <paramref name="other"/>, in place (use instead of <c>add_(Tensor)</c>).</summary>
    public static Tensor PlusInPlace(this Tensor tensor, Tensor other) => tensor.add_(other, One);

    /// <summary><paramref name="tensor"/> += <paramref name="value"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor tensor, long value)
    {
        using Scalar scalar = value;
        return tensor.add_(scalar, One);
    }

    /// <summary><paramref name="tensor"/> += <paramref name="value"/>, in place (use instead of <c>add_(Scalar)</c>, whose alpha is implicit).</summary>
    public static Tensor PlusInPlace(this Tensor tensor, Scalar value) => tensor.add_(value, One);

    /// <summary>
    /// <paramref name="tensor"/> += <paramref name="factor"/> × <paramref name="other"/>, in place and in one pass (no
    /// temporaries). <paramref name="tensor"/> may have a narrower dtype than <paramref name="other"/>: the sum is
    /// computed in the wider one and stored in <paramref name="tensor"/>'s.
    /// </summary>
    public static Tensor PlusScaledInPlace(this Tensor tensor, Tensor other, double factor)
    {
        using Scalar alpha = factor;
        return tensor.add_(other, alpha);
    }

    /// <summary><paramref name="tensor"/> += 1, in place, for integer counters as well as floating tensors.</summary>
    public static Tensor IncrementInPlace(this Tensor tensor) => tensor.add_(One, One);

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
