using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// LoRA on a 2-D convolution, laid out as PEFT's <c>lora.Conv2d</c>: A = Conv2d(in, r, kernel, stride, padding,
/// dilation, bias: false) and B = Conv2d(r, out, 1×1, bias: false), so y = conv(x, W) + scale · B(A(dropout(x))), and
/// the merged update is W + scale · (B ⊗ A) with B·A taken over the rank. Grouped convolutions are not supported.
/// </summary>
/// <remarks>
/// A also copies the base layer's dilation and padding mode. PEFT's A takes only kernel, stride and padding, so PEFT
/// cannot adapt dilated convolutions at all; for undilated zero-padded ones (all of ResNet's) the two are identical.
/// </remarks>
public sealed class LoraConv2d : LoraLayer
{
    internal LoraConv2d(Conv2d baseLayer, string adapterName, int r, double alpha, LoraConfig config, bool initialize)
        : base(nameof(LoraConv2d), baseLayer)
    {
        if (baseLayer.groups != 1)
        {
            throw new ArgumentException(
                $"LoRA on a grouped convolution (groups = {baseLayer.groups}) is not supported; exclude that layer from the target modules.");
        }

        UpdateLayer(adapterName, r, alpha, config, initialize);
    }

    private Conv2d Conv => (Conv2d)BaseLayer;

    /// <inheritdoc />
    public override Tensor GetDeltaWeight(string adapterName)
    {
        using var scope = NewDisposeScope();
        Tensor a = WeightA(adapterName);
        Tensor b = WeightB(adapterName);
        long r = a.shape[0];
        Tensor delta = b.reshape(b.shape[0], r).matmul(a.reshape(r, -1)).reshape(BaseWeight.shape).Scaled(Scaling(adapterName));
        return delta.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor BaseWeight => Conv.weight!;

    /// <inheritdoc />
    private protected override void CreateAdapterWeights(string adapterName, int r, Device device, ScalarType dtype)
    {
        Conv2d conv = Conv;
        (long, long) kernel = (conv.kernel_size[0], conv.kernel_size[1]);
        (long, long) stride = (conv.stride[0], conv.stride[1]);
        (long, long) dilation = (conv.dilation[0], conv.dilation[1]);
        Conv2d a = conv.padding_type is { } paddingType
            ? nn.Conv2d(conv.in_channels, r, kernel, paddingType, stride, dilation, conv.padding_mode, 1, false, device, dtype)
            : nn.Conv2d(conv.in_channels, r, kernel, stride, (conv.padding![0], conv.padding[1]), dilation, conv.padding_mode, 1, false, device, dtype);
        Conv2d b = nn.Conv2d(r, conv.out_channels, (1L, 1L), (1L, 1L), (0L, 0L), (1L, 1L), PaddingModes.Zeros, 1, false, device, dtype);
        AddLowRankModules(adapterName, a, b);
    }

    /// <inheritdoc />
    protected override Tensor TransformOutput(Tensor input, Tensor output)
    {
        string adapter = ActiveAdapter!;
        double scaling = Scaling(adapter);
        if (AutocastsAdapter(input, adapter) && ModuleA(adapter) is Conv2d { padding_type: null, padding_mode: PaddingModes.Zeros } convA)
        {
            // Autocast, as in LoraLinear: A and B are cast to the activations' dtype (B is 1×1, stride 1, no padding).
            Tensor down = nn.functional.conv2d(
                Dropout(adapter).call(input), WeightA(adapter).to(input.dtype), strides: convA.stride, padding: convA.padding, dilation: convA.dilation);
            return output.PlusScaledInPlace(nn.functional.conv2d(down, WeightB(adapter).to(input.dtype)), scaling);
        }

        Tensor x = ToAdapterDType(input, adapter);
        nn.Module<Tensor, Tensor> a = ModuleA(adapter);
        nn.Module<Tensor, Tensor> b = ModuleB(adapter);
        if (!UsesDora(adapter))
        {
            // The base layer's output is not saved for its backward, so adding in place is safe and saves two temporaries.
            return output.PlusScaledInPlace(b.call(a.call(Dropout(adapter).call(x))), scaling);
        }

        // DoRA (PEFT's _DoraConvNdLayer).
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

        if (Conv.bias is { } bias)
        {
            baseResult = baseResult - bias.view(1, -1, 1, 1);
        }

        Tensor norm = DoraWeightNorm(BaseWeight.to(x.dtype), GetDeltaWeight(adapter).detach()).detach();
        Tensor scale = Magnitude(adapter) / norm;
        Tensor dora = (scale.Minus(1) * baseResult.to(x.dtype)).Plus(scale * b.call(a.call(x)).Scaled(scaling));
        return output.Plus(dora).to(output.dtype);
    }

    /// <summary>Norm of each output filter of W + delta, shaped [1, out, 1, 1] like PEFT's magnitude.</summary>
    private protected override Tensor DoraWeightNorm(Tensor weight, Tensor delta) =>
        weight.Plus(delta).square().sum([1, 2, 3], keepdim: true).sqrt().transpose(1, 0);

    /// <inheritdoc />
    private protected override Tensor FactorInWeightLayout(Tensor factor) => factor.reshape(-1, 1, 1, 1);
}
