using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// Normalization tuning: the weights and biases of every <c>LayerNorm</c>, <c>BatchNorm1d/2d/3d</c> and
/// <c>GroupNorm</c> train, plus the task head. The running statistics of the tuned BatchNorms (which change in training
/// mode) are saved with them. <see cref="TunerConfig.TargetModules"/> narrows it to the selected normalization layers.
/// <c>peft_type</c> <c>"LAYERNORM_TUNING"</c> (this library's; PEFT's <c>"LN_TUNING"</c> trains copies of the layers
/// under other keys and is not this format).
/// </summary>
/// <example><code>
/// var tuned = PeftModel.Create(resnet, new LayerNormTuningConfig());   // BatchNorm affine parameters + fc
/// </code></example>
public sealed record LayerNormTuningConfig : BaselineConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.LayerNormTuning;

    /// <inheritdoc />
    internal override IEnumerable<string> TrainedParameterNames(torch.nn.Module model) =>
        NormLayers(model).SelectMany(m => m.Module.named_parameters(recurse: false).Select(p => Join(m.Name, p.name)));

    /// <inheritdoc />
    internal override IEnumerable<string> SavedBufferNames(torch.nn.Module model) =>
        NormLayers(model).SelectMany(m => m.Module.named_buffers(recurse: false).Select(b => Join(m.Name, b.name)));

    /// <inheritdoc />
    private protected override string Describe() => "the normalization layers' weights and biases";

    private IEnumerable<(string Name, torch.nn.Module Module)> NormLayers(torch.nn.Module model) =>
        model.named_modules()
            .Where(m => m.module is LayerNorm or BatchNorm or GroupNorm && Selects(m.name))
            .Select(m => (m.name, m.module));

    private static string Join(string module, string tensor) => module.Length == 0 ? tensor : module + "." + tensor;
}
