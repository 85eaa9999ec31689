using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// The modules (IA)³ adapts when <see cref="TunerConfig.TargetModules"/> or <see cref="IA3Config.FeedforwardModules"/>
/// is not given, recognized from module names (PEFT keys its tables <c>TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING</c>
/// and <c>…_FEEDFORWARD_MODULES_MAPPING</c> by model type).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>BERT and RoBERTa: targets <c>["key", "value", "output.dense"]</c>, feed-forward <c>["output.dense"]</c>, PEFT's
/// entries. By PEFT's suffix rule <c>output.dense</c> also matches <c>attention.output.dense</c>, and by its plain
/// <c>endswith</c> rule that module is feed-forward too, so per layer PEFT (and this library) rescales the outputs of
/// key and value and the inputs of both output projections.</item>
/// <item>torchvision ResNets (<c>layerN.M.convK</c>): every convolution of the residual blocks, all feed-forward, so
/// each learns a gain per <em>input</em> channel. PEFT has no CNN entry; this is our choice. Scaling a convolution's
/// output channels would be undone by the BatchNorm right after it: in training mode BatchNorm normalizes each channel
/// with the batch statistics, so a per-channel gain cancels (up to eps) and receives almost no gradient. Input channels
/// are mixed by the convolution, so their gains are not normalized away (after a ReLU they act like a learned rescaling
/// of the previous BatchNorm's affine parameters). Output scaling remains available by setting
/// <see cref="IA3Config.FeedforwardModules"/> to an empty list. Written as a regular expression, so it stays exact in
/// <c>adapter_config.json</c>.</item>
/// </list>
/// </remarks>
internal static class IA3DefaultTargets
{
    private const string ResidualConvolutions = @"(.*\.)?layer\d+\.\d+\.conv\d+";

    /// <summary>The default targets and feed-forward modules for <paramref name="model"/>, or <c>null</c> when the architecture is not recognized.</summary>
    public static (ModuleSelector Targets, ModuleSelector Feedforward)? For(torch.nn.Module model)
    {
        var modules = model.named_modules().ToList();
        string[] bertEvidence = ["attention.self.key", "attention.self.value", ".output.dense"];
        if (bertEvidence.All(e => modules.Any(m => m.name.EndsWith(e, StringComparison.Ordinal))))
        {
            return (ModuleSelector.FromNames(["key", "value", "output.dense"]), ModuleSelector.FromNames(["output.dense"]));
        }

        if (modules.Any(m => m.module is Conv2d && TargetModuleMatcher.FullMatch(ResidualConvolutions, m.name)))
        {
            return (ModuleSelector.FromPattern(ResidualConvolutions), ModuleSelector.FromPattern(ResidualConvolutions));
        }

        return null;
    }
}
