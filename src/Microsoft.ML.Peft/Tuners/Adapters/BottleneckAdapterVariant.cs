namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>Where a bottleneck adapter sits and what it reads (written as <c>variant</c> in <c>adapter_config.json</c>).</summary>
public enum BottleneckAdapterVariant
{
    /// <summary>
    /// Houlsby et al. (2019), AdapterHub's <c>DoubleSeqBnConfig</c> (<c>"houlsby"</c>): a sequential adapter after the
    /// attention output projection and one after the feed-forward output projection of every layer, each before its
    /// residual connection and LayerNorm. Defaults: reduction factor 16, swish, scaling 1.
    /// </summary>
    Houlsby,

    /// <summary>
    /// Pfeiffer et al. (2020), AdapterHub's <c>SeqBnConfig</c> (<c>"pfeiffer"</c>): one sequential adapter after the
    /// feed-forward output projection of every layer. Defaults: reduction factor 16, relu, scaling 1.
    /// </summary>
    Pfeiffer,

    /// <summary>
    /// He et al. (2021), AdapterHub's <c>ParBnConfig</c> (<c>"parallel"</c>): the adapter reads the wrapped module's
    /// input and its scaled output is added to the module's output. Defaults: the feed-forward output projection,
    /// reduction factor 2, relu, scaling 4.
    /// </summary>
    Parallel,
}
