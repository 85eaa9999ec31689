using TorchSharp;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>Finds the task head of a model for <see cref="TunerConfig.ModulesToSave"/> when none is given.</summary>
internal static class TaskHeads
{
    /// <summary>
    /// The usual head names: Hugging Face sequence classifiers use <c>classifier</c> (BERT, RoBERTa) or <c>score</c>
    /// (PEFT adds both for <c>SEQ_CLS</c>), torchvision ResNets use <c>fc</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> CandidateNames = ["classifier", "score", "fc"];

    /// <summary>The candidate names that name a module of <paramref name="model"/> (exactly or as the last dotted segment).</summary>
    public static IReadOnlyList<string> Detect(torch.nn.Module model)
    {
        var names = model.named_modules().Select(m => m.name).ToList();
        return CandidateNames
            .Where(head => names.Any(name => name == head || name.EndsWith("." + head, StringComparison.Ordinal)))
            .ToList();
    }
}
