using System.Globalization;

namespace Microsoft.ML.Peft;

/// <summary>How many parameters train, out of how many (PEFT's <c>get_nb_trainable_parameters</c>).</summary>
/// <param name="TrainableParameters">Elements of the parameters that require gradients.</param>
/// <param name="AllParameters">Elements of all parameters, adapters included.</param>
public readonly record struct TrainableParameterReport(long TrainableParameters, long AllParameters)
{
    /// <summary>The trainable share in percent.</summary>
    public double TrainablePercent => AllParameters == 0 ? 0 : 100.0 * TrainableParameters / AllParameters;

    /// <summary>PEFT's <c>print_trainable_parameters</c> line: <c>trainable params: 294,912 || all params: … || trainable%: 0.2680</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"trainable params: {TrainableParameters:N0} || all params: {AllParameters:N0} || trainable%: {TrainablePercent:F4}");
}
