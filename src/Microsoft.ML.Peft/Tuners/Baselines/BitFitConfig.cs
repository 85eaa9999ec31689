using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// BitFit (Ben Zaken et al., 2022): every bias of the model trains, plus the task head. A bias is a parameter named
/// <c>bias</c>, so LayerNorm and BatchNorm shifts count too. <see cref="TunerConfig.TargetModules"/> narrows it to the
/// biases of the selected modules (same matching rules as the adapters). <c>peft_type</c> <c>"BITFIT"</c> (this library's).
/// </summary>
/// <example><code>
/// var bitFit = PeftModel.Create(model, new BitFitConfig { TaskType = TaskType.SeqCls });
/// </code></example>
public sealed record BitFitConfig : BaselineConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.BitFit;

    /// <inheritdoc />
    internal override IEnumerable<string> TrainedParameterNames(torch.nn.Module model) =>
        model.named_parameters()
            .Select(p => p.name)
            .Where(name => (name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal)) && Selects(OwnerOf(name)));

    /// <inheritdoc />
    private protected override string Describe() => "every bias";
}
