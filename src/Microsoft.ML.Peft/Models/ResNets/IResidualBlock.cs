using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>What the ResNet needs to know about its residual blocks.</summary>
internal interface IResidualBlock
{
    /// <summary>The last BatchNorm of the residual branch (zeroed by <c>zero_init_residual</c>).</summary>
    BatchNorm LastNorm { get; }
}
