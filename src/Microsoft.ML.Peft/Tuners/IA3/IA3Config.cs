using System.Text.Json.Nodes;
using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// The configuration of an (IA)³ adapter, with the fields and defaults of Hugging Face PEFT's <c>IA3Config</c>: a learned
/// vector per target module that rescales its output, or for the <see cref="FeedforwardModules"/> its input.
/// </summary>
/// <example><code>
/// // PEFT's defaults for BERT: key, value and output.dense, the last treated as feed-forward.
/// var peft = PeftModel.Create(model, new IA3Config { TaskType = TaskType.SeqCls });
/// </code></example>
public sealed record IA3Config : TunerConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.IA3;

    /// <summary>
    /// The target modules whose <em>input</em> is rescaled (<c>feedforward_modules</c>, a vector of in-features); the
    /// other targets get their <em>output</em> rescaled (a vector of out-features). A name list matches a module whose
    /// dotted name ends with an entry (PEFT's plain <c>endswith</c>, no dot required), a regular expression must match
    /// the whole name. <c>null</c> picks the architecture's default (for BERT/RoBERTa <c>["output.dense"]</c>), failing
    /// when the architecture is not recognized. As a name list it must be a subset of a name-list <see cref="TunerConfig.TargetModules"/>.
    /// </summary>
    public ModuleSelector? FeedforwardModules { get; init; }

    /// <summary>
    /// Set when the targeted layers store their weight as [in, out] (<c>fan_in_fan_out</c>, like GPT-2's <c>Conv1D</c>).
    /// Ignored for TorchSharp <c>Linear</c> layers, as PEFT ignores it for <c>nn.Linear</c>.
    /// </summary>
    public bool FanInFanOut { get; init; }

    /// <summary>
    /// Whether new vectors start at one, so the adapted model computes exactly what the base model computes
    /// (<c>init_ia3_weights</c>, default true); false leaves them standard normal, as PEFT does (meant for tests).
    /// </summary>
    public bool InitIA3Weights { get; init; } = true;

    /// <summary>Whether the module named <paramref name="key"/> is feed-forward (PEFT's <c>_check_target_module_feedforward</c>).</summary>
    public bool IsFeedforward(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return FeedforwardModules switch
        {
            null => false,
            { Pattern: { } pattern } => TargetModuleMatcher.FullMatch(pattern, key),
            { } names => names.Names.Any(name => key.EndsWith(name, StringComparison.Ordinal)),
        };
    }

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (FeedforwardModules is { IsPattern: false } feedforward && TargetModules is { IsPattern: false } targets &&
            !feedforward.Names.All(name => targets.Names.Contains(name, StringComparer.Ordinal)))
        {
            throw new ArgumentException(
                $"`feedforward_modules` should be a subset of `target_modules`: {feedforward} is not a subset of {targets}.");
        }
    }

    /// <inheritdoc />
    internal override TunerModel CreateTunerModel(torch.nn.Module model) => new IA3Model(model);

    /// <inheritdoc />
    internal override void WriteJson(JsonObject json)
    {
        base.WriteJson(json);
        IA3ConfigJson.Write(this, json);
    }
}
