using TorchSharp;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>Finds the task head of a model for <see cref="TunerConfig.ModulesToSave"/>.</summary>
internal static class TaskHeads
{
    /// <summary>
    /// The usual head names: Hugging Face sequence classifiers use <c>classifier</c> (BERT, RoBERTa) or <c>score</c>
    /// (PEFT adds both for <c>SEQ_CLS</c>), torchvision ResNets use <c>fc</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> CandidateNames = ["classifier", "score", "fc"];

    /// <summary>The candidate names that name a module of <paramref name="model"/> (exactly or as the last dotted segment).</summary>
    public static IReadOnlyList<string> Detect(torch.nn.Module model) => Existing(CandidateNames, model);

    /// <summary>
    /// The modules to save for <paramref name="config"/> on <paramref name="model"/>: the detected head when none are
    /// given; otherwise the given ones plus, for the task types whose PEFT model class adds its head to a given list
    /// (<c>SEQ_CLS</c> and <c>TOKEN_CLS</c>: <c>classifier</c>, <c>score</c>; <c>QUESTION_ANS</c>: <c>qa_outputs</c>),
    /// those heads that the model has, so a list such as <c>["pooler"]</c> does not leave the head frozen at its random start.
    /// </summary>
    public static IReadOnlyList<string> Resolve(TunerConfig config, torch.nn.Module model)
    {
        if (config.ModulesToSave is null)
        {
            return Detect(model);
        }

        IReadOnlyList<string> taskHeads = config.TaskType switch
        {
            TaskType.SeqCls or TaskType.TokenCls => ["classifier", "score"],
            TaskType.QuestionAns => ["qa_outputs"],
            _ => [],
        };
        return config.ModulesToSave.Concat(Existing(taskHeads, model).Except(config.ModulesToSave, StringComparer.Ordinal)).ToList();
    }

    private static List<string> Existing(IEnumerable<string> heads, torch.nn.Module model)
    {
        var names = model.named_modules().Select(m => m.name).ToList();
        return heads
            .Where(head => names.Any(name => name == head || name.EndsWith("." + head, StringComparison.Ordinal)))
            .ToList();
    }
}
