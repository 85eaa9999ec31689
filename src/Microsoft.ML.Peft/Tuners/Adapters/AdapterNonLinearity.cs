namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>The activation between a bottleneck adapter's down- and up-projection (<c>non_linearity</c>).</summary>
public enum AdapterNonLinearity
{
    /// <summary><c>"relu"</c>: max(0, x).</summary>
    Relu,

    /// <summary><c>"gelu"</c>: the exact (erf) GELU.</summary>
    Gelu,

    /// <summary><c>"swish"</c> (also read as <c>"silu"</c>): x·sigmoid(x).</summary>
    Swish,

    /// <summary><c>"tanh"</c>.</summary>
    Tanh,
}
