using System.Text.Json.Nodes;
using TorchSharp;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// The configuration of a LoRA adapter, with the fields and defaults of Hugging Face PEFT's <c>LoraConfig</c>
/// (rsLoRA via <see cref="UseRsLora"/>, DoRA via <see cref="UseDora"/>).
/// </summary>
/// <example><code>
/// var config = new LoraConfig { TaskType = TaskType.SeqCls, R = 8, LoraAlpha = 16, TargetModules = ["query", "value"] };
/// var peft = PeftModel.Create(model, config);
/// </code></example>
public sealed record LoraConfig : TunerConfig
{
    /// <inheritdoc />
    public override PeftType PeftType => PeftType.Lora;

    /// <summary>The rank <c>r</c> of the update B·A (default 8).</summary>
    public int R { get; init; } = 8;

    /// <summary><c>lora_alpha</c>: the update is scaled by alpha / r, or alpha / √r with <see cref="UseRsLora"/> (default 8).</summary>
    public double LoraAlpha { get; init; } = 8;

    /// <summary>Dropout probability on the input of the LoRA branch while training (<c>lora_dropout</c>, default 0; not applied to embeddings, as in PEFT).</summary>
    public double LoraDropout { get; init; }

    /// <summary>
    /// Set when the targeted layers store their weight as [in, out] (<c>fan_in_fan_out</c>, like GPT-2's <c>Conv1D</c>).
    /// Ignored for TorchSharp <c>Linear</c> layers, whose weight is [out, in], as PEFT ignores it for <c>nn.Linear</c>.
    /// </summary>
    public bool FanInFanOut { get; init; }

    /// <summary>Which biases train and are saved (<c>bias</c>).</summary>
    public LoraBias Bias { get; init; } = LoraBias.None;

    /// <summary>Rank-stabilized LoRA (<c>use_rslora</c>): scale by alpha / √r instead of alpha / r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>
    /// Weight-decomposed LoRA (<c>use_dora</c>): a learned magnitude per output (<c>lora_magnitude_vector</c>) times the
    /// direction of W + scale·B·A, whose norm is treated as a constant in the backward pass.
    /// </summary>
    public bool UseDora { get; init; }

    /// <summary>How new adapter weights start (<c>init_lora_weights</c>).</summary>
    public LoraInitialization InitLoraWeights { get; init; } = LoraInitialization.Default;

    /// <summary>
    /// Per-module ranks that differ from <see cref="R"/> (<c>rank_pattern</c>): a key matches a module whose dotted name
    /// ends with it after a dot, or that it matches as a regular expression from the start (<c>^bert.encoder.layer.0.*query</c>).
    /// </summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module alphas that differ from <see cref="LoraAlpha"/> (<c>alpha_pattern</c>), matched like <see cref="RankPattern"/>.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>The scale of the update for rank <paramref name="r"/> and alpha <paramref name="alpha"/>.</summary>
    public double Scaling(int r, double alpha) => UseRsLora ? alpha / Math.Sqrt(r) : alpha / r;

    /// <summary>The rank and alpha of the module named <paramref name="key"/>, after <see cref="RankPattern"/> and <see cref="AlphaPattern"/>.</summary>
    public (int R, double Alpha) RankAndAlphaFor(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int r = TargetModuleMatcher.FindPatternKey(RankPattern.Keys, key) is { } rankKey ? RankPattern[rankKey] : R;
        double alpha = TargetModuleMatcher.FindPatternKey(AlphaPattern.Keys, key) is { } alphaKey ? AlphaPattern[alphaKey] : LoraAlpha;
        return (r, alpha);
    }

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (R <= 0)
        {
            throw new ArgumentException($"LoRA rank r must be a positive integer, got {R}.");
        }

        foreach (var (key, r) in RankPattern)
        {
            if (r <= 0)
            {
                throw new ArgumentException($"rank_pattern['{key}'] must be a positive integer, got {r}.");
            }
        }

        if (LoraDropout is < 0 or >= 1 || double.IsNaN(LoraDropout))
        {
            throw new ArgumentException($"lora_dropout must be in [0, 1), got {LoraDropout}.");
        }

        if (!double.IsFinite(LoraAlpha))
        {
            throw new ArgumentException($"lora_alpha must be a finite number, got {LoraAlpha}.");
        }
    }

    /// <inheritdoc />
    internal override TunerModel CreateTunerModel(torch.nn.Module model) => new LoraModel(model);

    /// <inheritdoc />
    internal override void WriteJson(JsonObject json)
    {
        base.WriteJson(json);
        LoraConfigJson.Write(this, json);
    }
}
