using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Baselines;

/// <summary>
/// Full fine-tuning: every parameter of the model trains. The adapter file then holds the whole state dictionary
/// (parameters and buffers, such as BatchNorm statistics) under <c>base_model.model.</c>. <c>peft_type</c>
/// <c>"FULL_FINE_TUNING"</c> (this library's).
/// </summary>
/// <example><code>
/// var full = PeftModel.Create(model, new FullFineTuningConfig { TaskType = TaskType.SeqCls });
/// </code></example>
public sealed record FullFineTuningConfig : BaselineConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.FullFineTuning;

    /// <inheritdoc />
    private protected override bool AcceptsTargetModules => false;

    /// <inheritdoc />
    internal override IEnumerable<string> TrainedParameterNames(torch.nn.Module model) =>
        model.named_parameters().Select(p => p.name);

    /// <inheritdoc />
    internal override IEnumerable<string> SavedBufferNames(torch.nn.Module model) =>
        model.named_buffers().Select(b => b.name);

    /// <inheritdoc />
    private protected override string Describe() => "every parameter";
}
