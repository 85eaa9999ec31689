namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>Hyper-parameters of <see cref="AdamWOptimizer"/>; the defaults are PyTorch's <c>torch.optim.AdamW</c>.</summary>
public sealed class AdamWOptions
{
    /// <summary>The exponential decay rate of the first moment (β₁). Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>The exponential decay rate of the second moment (β₂). Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Added to the denominator for numerical stability (ε). Default 1e-8.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>
    /// The decoupled weight decay λ: each step multiplies a decayed parameter by (1 − lr·λ). Default 0.01.
    /// Parameters excluded by the weight-decay rule (biases, norm weights) never decay.
    /// </summary>
    public double WeightDecay { get; set; } = 0.01;

    internal void Validate()
    {
        if (!(Beta1 >= 0 && Beta1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must be in [0, 1).");
        }

        if (!(Beta2 >= 0 && Beta2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must be in [0, 1).");
        }

        if (!(Epsilon >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be non-negative.");
        }

        if (!(WeightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be non-negative.");
        }
    }

    internal AdamWOptions Clone() => new() { Beta1 = Beta1, Beta2 = Beta2, Epsilon = Epsilon, WeightDecay = WeightDecay };
}
