namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>Where a bottleneck adapter sits and what it reads (<c>variant</c> in <c>adapter_config.json</c>).</summary>
public enum BottleneckVariant
{
    /// <summary>
    /// Houlsby et al. (2019), <c>"houlsby"</c>: two sequential adapters per transformer layer, one on the output of the
    /// attention projection (<c>attention.output.dense</c>) and one on the output of the feed-forward projection
    /// (<c>output.dense</c>), each after the layer's dropout and before its residual and LayerNorm: h ← h + s·up(f(down(h))).
    /// Defaults: reduction factor 16, swish, scaling 1 (AdapterHub's <c>DoubleSeqBnConfig</c>).
    /// </summary>
    Houlsby,

    /// <summary>
    /// Pfeiffer et al. (2020), <c>"pfeiffer"</c>: one sequential adapter per transformer layer, on the output of the
    /// feed-forward projection only. Defaults: reduction factor 16, ReLU, scaling 1 (AdapterHub's <c>SeqBnConfig</c>).
    /// </summary>
    Pfeiffer,

    /// <summary>
    /// He et al. (2021), <c>"parallel"</c>: the adapter reads the wrapped module's <em>input</em> and its scaled output is
    /// added to the module's output: y = module(x) + s·up(f(down(x))). Placed on the feed-forward projection. Defaults:
    /// reduction factor 2, ReLU, scaling 4 (AdapterHub's <c>ParBnConfig</c>).
    /// </summary>
    Parallel,
}
