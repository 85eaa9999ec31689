using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// The modules bottleneck adapters wrap when <see cref="TunerConfig.TargetModules"/> is not given, recognized from
/// module names and written as regular expressions, so they stay exact in <c>adapter_config.json</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>BERT and RoBERTa (<c>encoder.layer.N</c>): Houlsby wraps <c>attention.output.dense</c> and <c>output.dense</c>
/// (the adapter runs after each projection and its dropout, before the residual and LayerNorm, as in Houlsby et al.);
/// Pfeiffer and parallel wrap the feed-forward projection <c>output.dense</c> only.</item>
/// <item>torchvision ResNets: every residual block <c>layerK.N</c> (a 1×1-convolution adapter on the block's
/// output, or in parallel on its input).</item>
/// </list>
/// </remarks>
internal static class BottleneckDefaultTargets
{
    internal const string BertAttentionAndFeedForwardOutputs = @"(.*\.)?layer\.\d+\.(attention\.)?output\.dense";
    internal const string BertFeedForwardOutputs = @"(.*\.)?layer\.\d+\.output\.dense";
    internal const string ResidualBlocks = @"(.*\.)?layer\d+\.\d+";

    /// <summary>The default targets of <paramref name="variant"/> for <paramref name="model"/>, or <c>null</c> when the architecture is not recognized.</summary>
    public static ModuleSelector? For(torch.nn.Module model, BottleneckVariant variant)
    {
        var modules = model.named_modules().ToList();
        bool bert = modules.Any(m => m.name.EndsWith("attention.output.dense", StringComparison.Ordinal)) &&
                    modules.Any(m => TargetModuleMatcher.FullMatch(BertFeedForwardOutputs, m.name));
        if (bert)
        {
            return ModuleSelector.FromPattern(variant == BottleneckVariant.Houlsby ? BertAttentionAndFeedForwardOutputs : BertFeedForwardOutputs);
        }

        bool resnet = modules.Any(m => TargetModuleMatcher.FullMatch(ResidualBlocks, m.name) && m.module.modules().OfType<Conv2d>().Any());
        return resnet ? ModuleSelector.FromPattern(ResidualBlocks) : null;
    }
}
