namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>Double-precision scalar functions for the reference encoder, written out independently of libtorch.</summary>
internal static class ReferenceMath
{
    /// <summary>
    /// erf(x) from the everywhere-convergent series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
    /// whose terms are all positive (no cancellation); |erf(x)| differs from 1 by less than 2e-17 beyond |x| = 6.
    /// </summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) > 6)
        {
            return Math.Sign(x);
        }

        double term = x;
        double sum = x;
        for (int n = 1; n < 500 && Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }

        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    public static double GeluErf(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    public static double GeluTanh(double x) =>
        0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static Func<double, double> Activation(string name) => name switch
    {
        "gelu" => GeluErf,
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        "relu" => x => Math.Max(0, x),
        "silu" or "swish" => x => x / (1 + Math.Exp(-x)),
        _ => throw new ArgumentException($"The reference has no activation '{name}'."),
    };
}
