namespace Microsoft.ML.Peft;

/// <summary>The strings Hugging Face PEFT writes for <see cref="PeftType"/> and <see cref="TaskType"/>.</summary>
internal static class EnumJsonNames
{
    private static readonly (PeftType Type, string Name)[] PeftTypes =
    [
        (PeftType.Lora, "LORA"),
        (PeftType.IA3, "IA3"),

        // PEFT has no such methods; the names are this library's (documented in Tuners/Adapters and Tuners/Baselines).
        (PeftType.BottleneckAdapter, "BOTTLENECK_ADAPTER"),
        (PeftType.HeadOnly, "HEAD_ONLY"),
        (PeftType.BitFit, "BITFIT"),
        (PeftType.LayerNormTuning, "LAYERNORM_TUNING"),
        (PeftType.FullFineTuning, "FULL_FINE_TUNING"),
    ];

    private static readonly (TaskType Type, string Name)[] TaskTypes =
    [
        (TaskType.SeqCls, "SEQ_CLS"),
        (TaskType.TokenCls, "TOKEN_CLS"),
        (TaskType.CausalLm, "CAUSAL_LM"),
        (TaskType.Seq2SeqLm, "SEQ_2_SEQ_LM"),
        (TaskType.QuestionAns, "QUESTION_ANS"),
        (TaskType.FeatureExtraction, "FEATURE_EXTRACTION"),
    ];

    public static string ToJson(this PeftType type) => PeftTypes.First(p => p.Type == type).Name;

    public static string ToJson(this TaskType type) => TaskTypes.First(t => t.Type == type).Name;

    public static bool TryParsePeftType(string name, out PeftType type)
    {
        foreach (var (candidate, candidateName) in PeftTypes)
        {
            if (candidateName == name)
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static bool TryParseTaskType(string name, out TaskType type)
    {
        foreach (var (candidate, candidateName) in TaskTypes)
        {
            if (candidateName == name)
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static IEnumerable<string> PeftTypeNames => PeftTypes.Select(p => p.Name);

    public static IEnumerable<string> TaskTypeNames => TaskTypes.Select(t => t.Name);
}
