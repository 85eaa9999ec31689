using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// (IA)³ on a dense layer, as PEFT's <c>ia3.Linear</c>: y = base(x) ⊙ l with <c>ia3_l</c> of shape [out, 1], or for a
/// feed-forward layer y = base(x ⊙ l) with <c>ia3_l</c> of shape [1, in]. The base layer is a TorchSharp <c>Linear</c>
/// (weight [out, in]) or, with <see cref="IA3Config.FanInFanOut"/>, any layer whose 2-D <c>weight</c> is stored [in, out].
/// </summary>
public sealed class IA3Linear : IA3Layer
{
    private readonly bool _fanInFanOut;
    private readonly long _inFeatures;
    private readonly long _outFeatures;

    internal IA3Linear(nn.Module<Tensor, Tensor> baseLayer, string adapterName, bool isFeedforward, IA3Config config, bool initialize)
        : base(nameof(IA3Linear), baseLayer, isFeedforward)
    {
        // As PEFT, fan_in_fan_out only applies to layers that store [in, out]; a Linear stores [out, in].
        _fanInFanOut = baseLayer is not Linear && config.FanInFanOut;
        long[] shape = BaseWeight.shape;
        (_inFeatures, _outFeatures) = _fanInFanOut ? (shape[0], shape[1]) : (shape[1], shape[0]);
        UpdateLayer(adapterName, config.InitIA3Weights || !initialize);
    }

    /// <summary>Whether the base weight is stored [in, out].</summary>
    public bool FanInFanOut => _fanInFanOut;

    /// <summary>Whether this layer type can wrap <paramref name="module"/> for <paramref name="config"/>.</summary>
    internal static bool Supports(nn.Module module, IA3Config config) =>
        module is Linear ||
        (config.FanInFanOut && module is nn.Module<Tensor, Tensor> && module.has_parameter("weight") && module.Parameter("weight").dim() == 2);

    /// <inheritdoc />
    private protected override Tensor BaseWeight => BaseLayer is Linear linear ? linear.weight! : BaseLayer.Parameter("weight");

    /// <inheritdoc />
    private protected override Tensor? BaseBias => BaseLayer switch
    {
        Linear linear => linear.bias,
        _ when BaseLayer.has_parameter("bias") => BaseLayer.Parameter("bias"),
        _ => null,
    };

    /// <inheritdoc />
    private protected override long[] VectorShape => IsFeedforward ? [1, _inFeatures] : [_outFeatures, 1];

    /// <summary>[1, in] scales the columns of a [out, in] weight and [out, 1] its rows; PEFT transposes both for [in, out].</summary>
    private protected override Tensor VectorInWeightLayout(Tensor vector) => _fanInFanOut ? vector.t() : vector;

    /// <inheritdoc />
    private protected override Tensor VectorInActivationLayout(Tensor vector) => vector.flatten();
}
