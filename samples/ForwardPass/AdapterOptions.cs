using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft.Samples.ForwardPass;

/// <summary>What to do with a PEFT adapter on the base model: load or create it, train a few steps, save it.</summary>
internal sealed record AdapterOptions
{
    public string? AdapterFolder { get; init; }

    public string? SaveFolder { get; init; }

    public int? LoraRank { get; init; }

    public double? LoraAlpha { get; init; }

    public string? LoraTargets { get; init; }

    public LoraInitialization LoraInit { get; init; } = LoraInitialization.Random;

    public string? ModulesToSave { get; init; }

    public int Seed { get; init; }

    public int TrainSteps { get; init; }

    public string? Labels { get; init; }

    public double LearningRate { get; init; } = 1e-3;

    public double WeightDecay { get; init; }

    /// <summary>Whether any adapter option was given; without one the commands run the plain base model as before.</summary>
    public bool IsRequested => AdapterFolder is not null || SaveFolder is not null || LoraRank is not null || TrainSteps > 0;

    /// <summary>The LoRA configuration of a new adapter, from <c>--lora-r</c>, <c>--lora-alpha</c>, <c>--lora-targets</c>, <c>--lora-init</c> and <c>--modules-to-save</c>.</summary>
    public LoraConfig NewLoraConfig(TaskType? taskType, string baseModel)
    {
        int r = LoraRank ?? 8;
        return new LoraConfig
        {
            TaskType = taskType,
            BaseModelNameOrPath = baseModel,
            R = r,
            LoraAlpha = LoraAlpha ?? r,
            InitLoraWeights = LoraInit,
            TargetModules = LoraTargets is null ? null : ParseTargets(LoraTargets),
            ModulesToSave = ModulesToSave switch
            {
                null => null,
                "none" => [],
                _ => SplitList(ModulesToSave),
            },
        };
    }

    /// <summary>The class index of each row from <c>--labels</c>.</summary>
    /// <exception cref="ArgumentException">Missing, not integers, the wrong count, or out of range.</exception>
    public long[] ParseLabels(long rows, long classes)
    {
        if (Labels is null)
        {
            throw new ArgumentException($"--train-steps needs --labels: one class index per input row ({rows} rows).");
        }

        long[] labels = SplitList(Labels).Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new ArgumentException($"--labels: '{s}' is not an integer class index.")).ToArray();
        if (labels.Length != rows)
        {
            throw new ArgumentException($"--labels gives {labels.Length} label(s) but the batch has {rows} row(s).");
        }

        foreach (long label in labels.Where(l => l < 0 || l >= classes))
        {
            throw new ArgumentException($"--labels: class {label} is outside [0, {classes}) (the model has {classes} outputs).");
        }

        return labels;
    }

    // Several names are a name list (PEFT matches each as a whole name or a dotted suffix); one value with regular
    // expression characters is a pattern (PEFT matches a string target_modules with re.fullmatch).
    private static ModuleSelector ParseTargets(string text) =>
        text.IndexOfAny(['*', '(', ')', '[', ']', '\\', '|', '^', '$', '?', '+']) >= 0
            ? ModuleSelector.FromPattern(text)
            : ModuleSelector.FromNames(SplitList(text));

    private static string[] SplitList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The command-line options, shared by the text and image commands.</summary>
    internal sealed class Cli
    {
        public Option<string> Adapter { get; } = new("--adapter")
        {
            Description = "A Hugging Face PEFT adapter folder (adapter_config.json + adapter_model.safetensors) to load onto the base model " +
                          "with PeftModel.FromPretrained. Writes logits (adapter on), merged_logits (after Merge) and base_logits (adapter off).",
        };

        public Option<string> SaveAdapter { get; } = new("--save-adapter")
        {
            Description = "Save the adapter (after --train-steps, if given) to this folder with SavePretrained, in PEFT's format, for PeftModel.from_pretrained.",
        };

        public Option<int?> LoraR { get; } = new("--lora-r") { Description = "Without --adapter: create a new LoRA adapter of this rank (default 8 when only --save-adapter or --train-steps is given)." };

        public Option<double?> LoraAlpha { get; } = new("--lora-alpha") { Description = "lora_alpha of a new adapter (default: equal to r, scale 1)." };

        public Option<string> LoraTargets { get; } = new("--lora-targets")
        {
            Description = "target_modules of a new adapter: comma-separated names (query,value), or one regular expression matched against whole " +
                          "module names. Default: the library's choice (query,value for BERT/RoBERTa; the 3x3 convolutions of the residual blocks for ResNet).",
        };

        public Option<string> LoraInit { get; } = new Option<string>("--lora-init")
        {
            Description = "init_lora_weights of a new adapter: random (PEFT's false; B is not zero, so the adapter changes the logits; the default here), " +
                          "default (PEFT's true: B = 0) or gaussian (PEFT's \"gaussian\": A normal, B = 0).",
            DefaultValueFactory = _ => "random",
        }.AcceptOnlyFromAmong("random", "default", "gaussian");

        public Option<string> ModulesToSave { get; } = new("--modules-to-save")
        {
            Description = "modules_to_save of a new adapter (comma-separated, or none). Default: the task head (classifier for BERT/RoBERTa, fc for ResNet).",
        };

        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the new adapter's random initialization.", DefaultValueFactory = _ => 0 };

        public Option<int> TrainSteps { get; } = new("--train-steps")
        {
            Description = "Train the adapter N AdamW steps on the whole batch (cross-entropy on the logits against --labels) and write, for each step k, " +
                          "step{k}.loss, step{k}.grad.<key> (the gradient of that step's backward, before the update) and step{k}.param.<key> (after the update), " +
                          "<key> being the parameter's key in adapter_model.safetensors; then trained_logits. The model stays in eval mode throughout: " +
                          "no dropout (encoder, head and lora_dropout), and a ResNet's BatchNorm normalizes with its running statistics and does not update them " +
                          "(PyTorch: model.eval() before training). Trains what the adapter trains: LoRA A/B (plus biases per its bias setting) and its modules_to_save.",
        };

        public Option<string> Labels { get; } = new("--labels") { Description = "Comma-separated class index of each input row, for --train-steps." };

        public Option<double> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 1e-3 };

        public Option<double> WeightDecay { get; } = new("--weight-decay")
        {
            Description = "AdamW decoupled weight decay, applied to every trainable parameter, biases and norm weights included (one parameter group, as " +
                          "torch.optim.AdamW(trainable_params, weight_decay=...)); the trainers' default exclusion of biases and norms is not used here. " +
                          "Betas and eps are torch.optim.AdamW's defaults (0.9, 0.999, 1e-8).",
            DefaultValueFactory = _ => 0.0,
        };

        public IEnumerable<Option> All => [Adapter, SaveAdapter, LoraR, LoraAlpha, LoraTargets, LoraInit, ModulesToSave, Seed, TrainSteps, Labels, LearningRate, WeightDecay];

        public AdapterOptions Read(ParseResult parse) => new()
        {
            AdapterFolder = parse.GetValue(Adapter),
            SaveFolder = parse.GetValue(SaveAdapter),
            LoraRank = parse.GetValue(LoraR),
            LoraAlpha = parse.GetValue(LoraAlpha),
            LoraTargets = parse.GetValue(LoraTargets),
            LoraInit = parse.GetValue(LoraInit) switch
            {
                "random" => LoraInitialization.Random,
                "default" => LoraInitialization.Default,
                "gaussian" => LoraInitialization.Gaussian,
                _ => LoraInitialization.Random,
            },
            ModulesToSave = parse.GetValue(ModulesToSave),
            Seed = parse.GetValue(Seed),
            TrainSteps = parse.GetValue(TrainSteps),
            Labels = parse.GetValue(Labels),
            LearningRate = parse.GetValue(LearningRate),
            WeightDecay = parse.GetValue(WeightDecay),
        };
    }
}
