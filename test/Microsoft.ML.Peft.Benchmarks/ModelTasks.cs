using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>Training tasks for the benchmark's in-memory pixel batches.</summary>
internal static class ModelTasks
{
    /// <summary>
    /// Image classification with a ResNet on <see cref="PixelBatch"/>es. The pixels are cast to the stem's dtype and the
    /// pooled features to the head's: the ResNet port calls its children with <c>forward</c>, so the casting hooks of
    /// <see cref="Training.Precision.MixedPrecision"/> do not run on the layers it does not wrap, and under bfloat16 a
    /// frozen stem is bfloat16 while a trained head stays float32.
    /// </summary>
    public static ClassificationTask<PixelBatch> ResNetClassification() => new((model, batch, device) =>
    {
        var resnet = (ResNet)model;
        using Tensor pixels = batch.ToTensor(device);
        using Tensor input = pixels.to(resnet.parameters().First().dtype);
        using Tensor features = resnet.ForwardFeatures(input);
        using Tensor cast = features.to(resnet.Head.weight!.dtype);
        return resnet.Head.forward(cast);
    });
}
