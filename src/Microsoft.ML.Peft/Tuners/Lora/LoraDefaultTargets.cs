using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// The modules LoRA adapts when <see cref="TunerConfig.TargetModules"/> is not given, recognized from module names
/// (PEFT keys its table <c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c> by model type; a TorchSharp module has
/// no model type, but Hugging Face names are distinctive).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>BERT, RoBERTa, ViT (<c>attention.self.query</c>/<c>value</c>): <c>["query", "value"]</c>, PEFT's choice.</item>
/// <item>DistilBERT (<c>q_lin</c>/<c>v_lin</c>), LLaMA-style (<c>q_proj</c>/<c>v_proj</c>), GPT-2 (<c>c_attn</c>): PEFT's entries.</item>
/// <item>torchvision ResNets (<c>layerN.M.convK</c>): the 3×3 convolutions of the residual blocks, i.e. <c>conv1</c> and
/// <c>conv2</c> of basic blocks (ResNet-18/34) and <c>conv2</c> of bottlenecks (ResNet-50 and up). They do the blocks'
/// spatial feature extraction and hold most of the weights; the 7×7 stem sees raw pixels and transfers well frozen, and the
/// 1×1 projections and downsample shortcuts are cheap channel mixers that LoRA barely compresses (rank r of a 1×1
/// conv costs r·(in + out) against in·out). PEFT has no CNN entry; this is our choice. Written as a regular expression,
/// so it stays exact in <c>adapter_config.json</c>.</item>
/// </list>
/// </remarks>
internal static class LoraDefaultTargets
{
    private static readonly (string[] Evidence, string[] Targets)[] NameRules =
    [
        (["attention.self.query", "attention.self.value"], ["query", "value"]),
        (["attention.q_lin", "attention.v_lin"], ["q_lin", "v_lin"]),
        ([".q_proj", ".v_proj"], ["q_proj", "v_proj"]),
        ([".c_attn"], ["c_attn"]),
    ];

    private static readonly Regex ResidualConv = new(@"(?:^|\.)layer\d+\.\d+\.(conv\d+)$", RegexOptions.CultureInvariant);

    /// <summary>The default targets for <paramref name="model"/>, or <c>null</c> when the architecture is not recognized.</summary>
    public static ModuleSelector? For(torch.nn.Module model)
    {
        var modules = model.named_modules().ToList();
        foreach (var (evidence, targets) in NameRules)
        {
            if (evidence.All(e => modules.Any(m => m.name.EndsWith(e, StringComparison.Ordinal))))
            {
                return ModuleSelector.FromNames(targets);
            }
        }

        var residual3x3 = modules
            .Select(m => (Match: ResidualConv.Match(m.name), m.module))
            .Where(m => m.Match.Success && m.module is Conv2d conv && conv.kernel_size.SequenceEqual([3L, 3L]))
            .Select(m => m.Match.Groups[1].Value)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (residual3x3.Count > 0)
        {
            return ModuleSelector.FromPattern($@"(.*\.)?layer\d+\.\d+\.({string.Join('|', residual3x3)})");
        }

        return null;
    }
}
