using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.Lora;

/// <summary>
/// Injects LoRA layers (<see cref="LoraLinear"/>, <see cref="LoraConv2d"/>, <see cref="LoraEmbedding"/>) into a model,
/// as Hugging Face PEFT's <c>LoraModel</c>; reach it as <see cref="PeftModel.BaseModel"/>.
/// </summary>
public sealed class LoraModel : TunerModel
{
    internal LoraModel(nn.Module model)
        : base(nameof(LoraModel), model)
    {
    }

    /// <summary>The LoRA layers by the dotted name of the module they wrap.</summary>
    public IReadOnlyDictionary<string, LoraLayer> LoraLayers =>
        Layers.ToDictionary(l => l.Key, l => (LoraLayer)l.Layer, StringComparer.Ordinal);

    /// <inheritdoc />
    protected override string AdapterPrefix => "lora_";

    /// <summary>
    /// Adds an adapter that combines existing LoRA adapters with weights (PEFT's <c>add_weighted_adapter</c>). The new
    /// adapter has rank <c>r</c> (linear) or the sum of the ranks (cat), alpha equal to its rank (scale 1), is frozen, and
    /// takes over the one source adapter's copy of a module to save; it is not made active.
    /// </summary>
    /// <exception cref="ArgumentException">An adapter is unknown, the name is taken, counts differ, ranks differ for linear, or several adapters train the same module to save.</exception>
    /// <exception cref="NotSupportedException">An adapter uses DoRA or rank/alpha patterns.</exception>
    public void AddWeightedAdapter(IReadOnlyList<string> adapters, IReadOnlyList<double> weights, string adapterName, AdapterCombination combination = AdapterCombination.Linear)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(weights);
        if (adapters.Count == 0 || adapters.Count != weights.Count)
        {
            throw new ArgumentException($"Give one weight per adapter; got {adapters.Count} adapter(s) and {weights.Count} weight(s).", nameof(weights));
        }

        var configs = adapters.Select(a => PeftConfigs.TryGetValue(a, out TunerConfig? c)
            ? (LoraConfig)c
            : throw new ArgumentException($"Adapter {a} does not exist; adapters: [{string.Join(", ", AdapterNames)}].", nameof(adapters))).ToList();
        if (configs.Any(c => c.UseDora))
        {
            throw new NotSupportedException("Combining DoRA adapters is not supported (their magnitudes cannot be combined linearly).");
        }

        if (configs.Any(c => c.RankPattern.Count > 0 || c.AlphaPattern.Count > 0))
        {
            throw new NotSupportedException("Combining adapters that use rank_pattern or alpha_pattern is not supported.");
        }

        if (adapters.Count == 1)
        {
            combination = AdapterCombination.Linear;
        }

        int newRank;
        if (combination == AdapterCombination.Linear)
        {
            if (configs.Select(c => c.R).Distinct().Count() != 1)
            {
                throw new ArgumentException(
                    $"All adapters must have the same r value when using combination type linear; got [{string.Join(", ", configs.Select(c => c.R))}]. Use cat for different ranks.",
                    nameof(adapters));
            }

            newRank = configs[0].R;
            for (int i = 0; i < configs.Count; i++)
            {
                double product = weights[i] * configs[i].Scaling(configs[i].R, configs[i].LoraAlpha);
                if (product < 0)
                {
                    throw new ArgumentException(
                        $"Linear combination takes the square root of weight × scale, which is negative for adapter '{adapters[i]}' ({product}); use cat for negative weights.",
                        nameof(weights));
                }
            }
        }
        else
        {
            newRank = configs.Sum(c => c.R);
        }

        var savedBy = adapters.SelectMany(a => ModulesToSaveOf(a).Select(key => (Key: key, Adapter: a))).GroupBy(p => p.Key).ToList();
        if (savedBy.FirstOrDefault(g => g.Count() > 1) is { } conflict)
        {
            throw new ArgumentException(
                $"Cannot add weighted adapters if they target the same module with modules_to_save: '{conflict.Key}' is trained by [{string.Join(", ", conflict.Select(p => p.Adapter))}].",
                nameof(adapters));
        }

        LoraConfig combined = configs[0] with
        {
            R = newRank,
            LoraAlpha = newRank,
            UseRsLora = false,
            TargetModules = CombineTargets(configs),
            ModulesToSave = configs.SelectMany(c => c.ModulesToSave ?? []).Distinct(StringComparer.Ordinal).ToList(),
        };
        InjectAdapter(adapterName, combined, initialize: false);
        foreach (var group in savedBy)
        {
            CopyModulesToSave(group.Single().Adapter, adapterName);
        }

        using var noGrad = no_grad();
        foreach (LoraLayer layer in LoraLayers.Values.Where(l => l.HasAdapter(adapterName)))
        {
            Combine(layer, adapters, weights, adapterName, combination);
        }

        ApplyTrainability();
    }

    /// <inheritdoc />
    protected override TunerConfig ResolveConfig(PeftConfig config, string adapterName)
    {
        if (config is not LoraConfig lora)
        {
            throw new ArgumentException($"A LoRA model cannot take a {config.PeftType} adapter; all adapters of a model must be of one method.", nameof(config));
        }

        if (PeftConfigs.Count > 0 && lora.Bias != LoraBias.None)
        {
            throw new ArgumentException("LoraModel supports only 1 adapter with bias. When using multiple adapters, set bias to none for all adapters.", nameof(config));
        }

        ModuleSelector targets = lora.TargetModules ?? LoraDefaultTargets.For(Model) ??
            throw new ArgumentException(
                $"TargetModules is not set and the architecture of {Model.GetType().Name} is not recognized; set TargetModules, " +
                "for example [\"query\", \"value\"].", nameof(config));
        return lora with
        {
            TargetModules = targets,
            ModulesToSave = TaskHeads.Resolve(lora, Model),
        };
    }

    /// <inheritdoc />
    protected override TunerLayer CreateLayer(string key, nn.Module target, TunerConfig config, string adapterName, bool initialize)
    {
        var lora = (LoraConfig)config;
        var (r, alpha) = lora.RankAndAlphaFor(key);
        return target switch
        {
            Embedding embedding => new LoraEmbedding(embedding, adapterName, r, alpha, lora, initialize),
            Conv2d conv => new LoraConv2d(conv, adapterName, r, alpha, lora, initialize),
            nn.Module<Tensor, Tensor> dense when LoraLinear.Supports(target, lora) => new LoraLinear(dense, adapterName, r, alpha, lora, initialize),
            _ => throw new ArgumentException(
                $"Target module '{key}' ({target.GetType().Name}) is not supported. LoRA supports Linear, Conv2d and Embedding, and with " +
                "FanInFanOut layers whose 2-D weight is stored [in, out]; narrow TargetModules to such layers."),
        };
    }

    /// <inheritdoc />
    protected override void AddToLayer(TunerLayer layer, string key, TunerConfig config, string adapterName, bool initialize)
    {
        var lora = (LoraConfig)config;
        var (r, alpha) = lora.RankAndAlphaFor(key);
        ((LoraLayer)layer).UpdateLayer(adapterName, r, alpha, lora, initialize);
    }

    /// <inheritdoc />
    protected override bool IsOwnLayer(TunerLayer layer) => layer is LoraLayer;

    /// <summary>PEFT saves DoRA's magnitude without the <c>.weight</c> of its module: <c>…lora_magnitude_vector</c>.</summary>
    protected override string? ToSavedKey(string key, string adapterName)
    {
        string? saved = base.ToSavedKey(key, adapterName);
        const string magnitude = "lora_magnitude_vector.weight";
        return saved is not null && saved.EndsWith(magnitude, StringComparison.Ordinal) ? saved[..^".weight".Length] : saved;
    }

    /// <inheritdoc />
    protected override IEnumerable<Parameter> ExtraTrainableParameters(TunerConfig config) => ((LoraConfig)config).Bias switch
    {
        LoraBias.All => Model.named_parameters().Where(p => p.name.Contains("bias", StringComparison.Ordinal)).Select(p => p.parameter),
        LoraBias.LoraOnly => LoraLayers.Values.Select(l => l.BaseLayer).Where(b => b.has_parameter("bias")).Select(b => b.Parameter("bias")),
        _ => [],
    };

    /// <summary>
    /// <c>bias = "all"</c> saves every key containing <c>bias</c>, as PEFT; <c>"lora_only"</c> saves
    /// <c>…base_layer.bias</c> of the adapted layers (PEFT looks for <c>…query.bias</c>, which the wrapping renamed, and
    /// saves nothing; its loader does accept the keys written here).
    /// </summary>
    protected override IEnumerable<string> ExtraSavedKeys(TunerConfig config, string adapterName, IReadOnlyDictionary<string, Tensor> state) =>
        ((LoraConfig)config).Bias switch
        {
            LoraBias.All => state.Keys.Where(k => k.Contains("bias", StringComparison.Ordinal)),
            LoraBias.LoraOnly => LoraLayers.Where(l => l.Value.HasAdapter(adapterName))
                .Select(l => l.Key + ".base_layer.bias")
                .Where(state.ContainsKey),
            _ => [],
        };

    private static ModuleSelector CombineTargets(IReadOnlyList<LoraConfig> configs)
    {
        var selectors = configs.Select(c => c.TargetModules!).ToList();
        if (selectors.All(s => s.IsPattern))
        {
            return ModuleSelector.FromPattern(string.Join('|', selectors.Select(s => $"({s.Pattern})")));
        }

        if (selectors.Any(s => s.IsPattern))
        {
            throw new ArgumentException(
                "all adapter configs should follow the same target modules type. Combining adapters with target modules being a mix of names and a regular expression is not supported.");
        }

        return ModuleSelector.FromNames(selectors.SelectMany(s => s.Names));
    }

    private static void Combine(LoraLayer layer, IReadOnlyList<string> adapters, IReadOnlyList<double> weights, string adapterName, AdapterCombination combination)
    {
        Parameter targetA = layer.WeightA(adapterName);
        Parameter targetB = layer.WeightB(adapterName);
        targetA.zero_();
        targetB.zero_();
        var sources = adapters.Zip(weights).Where(p => layer.HasAdapter(p.First)).ToList();
        if (sources.Count == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        if (combination == AdapterCombination.Cat)
        {
            Tensor a = torch.cat(sources.Select(p => layer.WeightA(p.First).Scaled(p.Second * layer.Scaling(p.First))).ToList(), 0);
            Tensor b = torch.cat(sources.Select(p => (Tensor)layer.WeightB(p.First)).ToList(), 1);
            targetA.narrow(0, 0, a.shape[0]).copy_(a);
            targetB.narrow(1, 0, b.shape[1]).copy_(b);
            return;
        }

        foreach (var (source, weight) in sources)
        {
            double product = weight * layer.Scaling(source);
            if (product < 0)
            {
                throw new ArgumentException(
                    $"Linear combination takes the square root of weight × scale, which is negative for adapter '{source}' ({product}); use cat for negative weights.",
                    nameof(weights));
            }

            double factor = Math.Sqrt(product);
            targetA.PlusInPlace(layer.WeightA(source).Scaled(factor));
            targetB.PlusInPlace(layer.WeightB(source).Scaled(factor));
        }
    }
}
