namespace Microsoft.ML.Peft.Samples;

/// <summary>The values of the text samples' data flags (see <see cref="TextDataOptions"/>).</summary>
/// <param name="DataPath">The data file, or null for the sample's default data.</param>
/// <param name="TestDataPath">The test file, or null to split <paramref name="DataPath"/>.</param>
/// <param name="TextColumn">The text column.</param>
/// <param name="SecondTextColumn">The second text column of pairs, or null for single texts.</param>
/// <param name="LabelColumn">The label column.</param>
/// <param name="MaxRows">The cap on training rows, or null for all.</param>
/// <param name="MaxLength">The maximum sequence length in tokens.</param>
public sealed record TextDataSettings(string? DataPath, string? TestDataPath, string TextColumn, string? SecondTextColumn, string LabelColumn, int? MaxRows, int MaxLength)
{
    /// <summary>Reads <paramref name="path"/> into rows, mapping the flags' columns onto <see cref="TextRow"/>.</summary>
    public List<TextRow> Read(MLContext mlContext, string path)
    {
        var columns = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [nameof(TextRow.Text)] = TextColumn,
            [nameof(TextRow.Label)] = LabelColumn,
        };
        if (SecondTextColumn is not null)
        {
            columns[nameof(TextRow.SecondText)] = SecondTextColumn;
        }

        return DelimitedFile.Read<TextRow>(mlContext, path, columns);
    }
}
