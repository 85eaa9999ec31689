namespace Microsoft.ML.Peft.Samples.SentencePair;

/// <summary>
/// Reads an SNLI split in the shared data's layout: three line-aligned files (<c>s1.split</c> premises, <c>s2.split</c>
/// hypotheses, <c>labels.split</c> gold labels: entailment, neutral or contradiction).
/// </summary>
internal static class SnliFiles
{
    public static List<TextRow> Read(string split)
    {
        string[] premises = Lines($"s1.{split}");
        string[] hypotheses = Lines($"s2.{split}");
        string[] labels = Lines($"labels.{split}");
        if (premises.Length != hypotheses.Length || premises.Length != labels.Length)
        {
            throw new InvalidDataException(
                $"The SNLI {split} files are not line-aligned: s1.{split} has {premises.Length} lines, s2.{split} {hypotheses.Length}, labels.{split} {labels.Length}.");
        }

        // The text is pre-tokenised with a trailing space; the tokenizer splits on spaces anyway, so only the ends are trimmed.
        return premises.Select((premise, i) => new TextRow { Text = premise.Trim(), SecondText = hypotheses[i].Trim(), Label = labels[i].Trim() }).ToList();
    }

    private static string[] Lines(string file) => File.ReadAllLines(SharedData.Require("pairs/snli/" + file));
}
