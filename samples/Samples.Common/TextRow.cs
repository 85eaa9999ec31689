namespace Microsoft.ML.Peft.Samples;

/// <summary>A text (or sentence-pair) example: the trainers read <see cref="Text"/>, <see cref="SecondText"/> for pairs, and <see cref="Label"/>.</summary>
public sealed class TextRow : ILabelledRow
{
    /// <summary>The text, or the premise of a pair.</summary>
    public string Text { get; set; } = "";

    /// <summary>The hypothesis of a pair; empty (and ignored) for single texts.</summary>
    public string SecondText { get; set; } = "";

    /// <inheritdoc />
    public string Label { get; set; } = "";

    /// <inheritdoc />
    public string Describe() => SecondText.Length == 0 ? Quote(Text) : $"{Quote(Text)} / {Quote(SecondText)}";

    private static string Quote(string text)
    {
        string line = text.ReplaceLineEndings(" ").Trim();
        return "\"" + (line.Length > 70 ? line[..67] + "..." : line) + "\"";
    }
}
