using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// Linear probing: only the task head (<see cref="TunerConfig.ModulesToSave"/>, detected automatically when <c>null</c>:
/// <c>classifier</c>, <c>score</c> or <c>fc</c>) trains; the rest of the model stays frozen. <c>peft_type</c>
/// <c>"HEAD_ONLY"</c> (this library's).
/// </summary>
/// <example><code>
/// var probe = PeftModel.Create(model, new HeadOnlyConfig { TaskType = TaskType.SeqCls });
/// </code></example>
public sealed record HeadOnlyConfig : BaselineConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.HeadOnly;

    /// <inheritdoc />
    private protected override bool AcceptsTargetModules => false;

    /// <inheritdoc />
    internal override IEnumerable<string> TrainedParameterNames(torch.nn.Module model) => [];

    /// <inheritdoc />
    private protected override string Describe() => "only the modules to save (the task head)";
}
