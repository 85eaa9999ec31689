namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>The residual block a ResNet is built from, as in torchvision.</summary>
public enum ResNetBlockType
{
    /// <summary>Two 3×3 convolutions (ResNet-18/34); expansion 1.</summary>
    Basic,

    /// <summary>1×1 reduce, 3×3 (carrying the stride, torchvision v1.5), 1×1 expand (ResNet-50/101/152); expansion 4.</summary>
    Bottleneck,
}
