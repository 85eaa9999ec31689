using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Adapters;

/// <summary>
/// The modules bottleneck adapters wrap when <see cref="TunerConfig.TargetModules"/> is not given, recognized from
/// module names. Written as regular expressions or name lists so they stay exact in <c>adapter_config.json</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>BERT and RoBERTa (<c>…layer.N.attention.output.dense</c>, <c>…layer.N.output.dense</c>): Houlsby wraps both
/// output projections (<c>["output.dense"]</c>, which by the suffix rule matches <c>attention.output.dense</c> too);
/// Pfeiffer and parallel wrap the feed-forward output projection only (<c>(.*\.)?layer\.\d+\.output\.dense</c>). The
/// wrapped dense layer's output is what the residual connection and LayerNorm receive, so a sequential adapter sits
/// "after the projection, before residual + LayerNorm" as in the papers (after dropout there, which is identity at
/// inference).</item>
/// <item>torchvision ResNets: every residual block (<c>(.*\.)?layer\d+\.\d+</c>), for every variant.</item>
/// </list>
/// </remarks>
internal static class BottleneckAdapterDefaultTargets
{
    private const string ResidualBlocks = @"(.*\.)?layer\d+\.\d+";
    private const string FeedForwardOutput = @"(.*\.)?layer\.\d+\.output\.dense";

    /// <summary>The default targets for <paramref name="model"/> and <paramref name="variant"/>, or <c>null</c> when the architecture is not recognized.</summary>
    public static ModuleSelector? For(torch.nn.Module model, BottleneckAdapterVariant variant)
    {
        var names = model.named_modules().Select(m => m.name).ToList();
        if (names.Any(n => n.EndsWith(".attention.output.dense", StringComparison.Ordinal)) &&
            names.Any(n => TargetModuleMatcher.FullMatch(FeedForwardOutput, n)))
        {
            return variant == BottleneckAdapterVariant.Houlsby
                ? ModuleSelector.FromNames(["output.dense"])
                : ModuleSelector.FromPattern(FeedForwardOutput);
        }

        if (names.Any(n => TargetModuleMatcher.FullMatch(ResidualBlocks, n)))
        {
            return ModuleSelector.FromPattern(ResidualBlocks);
        }

        return null;
    }
}
