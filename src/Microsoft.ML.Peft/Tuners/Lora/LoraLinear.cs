using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// LoRA on a dense layer, as PEFT's <c>lora.Linear</c>: y = base(x) + scale · B(A(dropout(x))) with
/// A = Linear(in, r, bias: false) and B = Linear(r, out, bias: false). The base layer is a TorchSharp <c>Linear</c>
/// (weight [out, in]) or, with <see cref="LoraConfig.FanInFanOut"/>, any layer whose 2-D <c>weight</c> is stored
/// [in, out] like GPT-2's <c>Conv1D</c>.
/// </summary>
public sealed class LoraLinear : LoraLayer
{
    private readonly bool _fanInFanOut;
    private readonly long _inFeatures;
    private readonly long _outFeatures;

    internal LoraLinear(nn.Module<Tensor, Tensor> baseLayer, string adapterName, int r, double alpha, LoraConfig config, bool initialize)
        : base(nameof(LoraLinear), baseLayer)
    {
        // As PEFT, fan_in_fan_out only applies to layers that store [in, out]; a Linear stores [out, in].
        _fanInFanOut = baseLayer is not Linear && config.FanInFanOut;
        long[] shape = BaseWeight.shape;
        (_inFeatures, _outFeatures) = _fanInFanOut ? (shape[0], shape[1]) : (shape[1], shape[0]);
        UpdateLayer(adapterName, r, alpha, config, initialize);
    }

    /// <summary>Whether the base weight is stored [in, out].</summary>
    public bool FanInFanOut => _fanInFanOut;

    /// <summary>Whether this layer type can wrap <paramref name="module"/> for <paramref name="config"/>.</summary>
    internal static bool Supports(nn.Module module, LoraConfig config) =>
        module is Linear ||
        (config.FanInFanOut && module is nn.Module<Tensor, Tensor> && module.has_parameter("weight") && module.Parameter("weight").dim() == 2);

    /// <inheritdoc />
    public override Tensor GetDeltaWeight(string adapterName)
    {
        using var scope = NewDisposeScope();
        Tensor delta = WeightB(adapterName).matmul(WeightA(adapterName)).Scaled(Scaling(adapterName));
        return (_fanInFanOut ? delta.t() : delta).contiguous().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor BaseWeight => BaseLayer is Linear linear ? linear.weight! : BaseLayer.Parameter("weight");

    private Tensor? BaseBias => BaseLayer switch
    {
        Linear linear => linear.bias,
        _ when BaseLayer.has_parameter("bias") => BaseLayer.Parameter("bias"),
        _ => null,
    };

    /// <inheritdoc />
    private protected override void CreateAdapterWeights(string adapterName, int r, Device device, ScalarType dtype) =>
        AddLowRankModules(
            adapterName,
            nn.Linear(_inFeatures, r, hasBias: false, device: device, dtype: dtype),
            nn.Linear(r, _outFeatures, hasBias: false, device: device, dtype: dtype));

    /// <inheritdoc />
    protected override Tensor TransformOutput(Tensor input, Tensor output)
    {
        string adapter = ActiveAdapter!;
        double scaling = Scaling(adapter);
        if (AutocastsAdapter(input, adapter))
        {
            // Autocast: A and B are cast to the activations' dtype, not the activations to theirs. That spares a float32
            // copy of the input per layer (kept for A's backward) and runs both products at the bf16 matmul rate.
            Tensor down = nn.functional.linear(Dropout(adapter).call(input), WeightA(adapter).to(input.dtype));
            return output.PlusScaledInPlace(nn.functional.linear(down, WeightB(adapter).to(input.dtype)), scaling);
        }

        Tensor x = ToAdapterDType(input, adapter);
        nn.Module<Tensor, Tensor> a = ModuleA(adapter);
        nn.Module<Tensor, Tensor> b = ModuleB(adapter);
        if (!UsesDora(adapter))
        {
            // The base layer's output is not saved for its backward, so adding in place is safe and saves two temporaries.
            return output.PlusScaledInPlace(b.call(a.call(Dropout(adapter).call(x))), scaling);
        }

        // DoRA (PEFT's DoraLinearLayer): reuse the base output unless dropout changes the input.
        Tensor baseResult;
        if (DropoutActive(adapter))
        {
            x = Dropout(adapter).call(x);
            baseResult = BaseLayer.forward(x.to(output.dtype));
        }
        else
        {
            baseResult = output;
        }

        if (BaseBias is { } bias)
        {
            baseResult = baseResult - bias;
        }

        Tensor norm = DoraWeightNorm(BaseWeight.to(x.dtype), GetDeltaWeight(adapter).detach()).detach();
        Tensor scale = (Magnitude(adapter) / norm).view(1, -1);
        Tensor dora = (scale.Minus(1) * baseResult.to(x.dtype)).Plus(scale * b.call(a.call(x)).Scaled(scaling));
        return output.Plus(dora).to(output.dtype);
    }

    /// <inheritdoc />
    private protected override Tensor DoraWeightNorm(Tensor weight, Tensor delta)
    {
        Tensor combined = weight.Plus(delta);
        Tensor oriented = _fanInFanOut ? combined.t() : combined;
        return oriented.square().sum(1).sqrt();
    }

    /// <inheritdoc />
    private protected override Tensor FactorInWeightLayout(Tensor factor) =>
        _fanInFanOut ? factor.view(1, -1) : factor.view(-1, 1);
}
