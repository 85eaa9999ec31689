using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>
/// A 2-D batch normalization with the same parameters, buffers and state-dict names as TorchSharp's
/// <c>BatchNorm2d</c> (weight, bias, running_mean, running_var, num_batches_tracked) and the same arithmetic
/// (torch's <c>batch_norm</c>), whose training step counts the batch with a Scalar that stays alive through the call.
/// </summary>
/// <remarks>
/// TorchSharp's <c>BatchNorm2d.forward</c> counts batches with an implicit Scalar that only the finalizer frees; the
/// JIT may drop the last reference before the native call returns, so a garbage collection during training freed it
/// mid-call and training stopped at random steps with native errors ("argument alpha must not be a floating point
/// number", "Expected false to be true"). The same reason as <see cref="TensorScaling"/>, which this uses.
/// </remarks>
internal sealed class ResNetBatchNorm : BatchNorm
{
    public ResNetBatchNorm(long channels, double eps, double momentum)
        : base(channels, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: "BatchNorm2d")
    {
    }

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        if (training && num_batches_tracked is { } tracked)
        {
            using var noGrad = no_grad();
            tracked.IncrementInPlace();
        }

        // In eval mode the running statistics normalize; while training the batch's own, and the running ones move.
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum ?? ResNetLayers.BatchNormMomentum, eps);
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.dim() != 4)
        {
            throw new ArgumentException($"BatchNorm2d expects a 4-D input [batch, channels, height, width]; got {input.dim()}-D [{string.Join(", ", input.shape)}].", nameof(input));
        }
    }
}
