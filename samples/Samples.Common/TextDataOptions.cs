using System.CommandLine;

namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// The flags of the text samples: a data file (CSV or TSV with a header) and its columns, an optional test file, a cap on
/// the training rows and the maximum sequence length. The column flags default to the columns of the sample's default data.
/// </summary>
public sealed class TextDataOptions
{
    /// <summary>Creates the flags.</summary>
    /// <param name="textColumn">The default <c>--text-column</c>.</param>
    /// <param name="secondTextColumn">The default <c>--second-text-column</c>, or null when the sample reads single texts (no such flag).</param>
    /// <param name="labelColumn">The default <c>--label-column</c>.</param>
    /// <param name="defaultMaxRows">The default <c>--max-rows</c>, which keeps the default run to a few minutes.</param>
    public TextDataOptions(string textColumn, string? secondTextColumn, string labelColumn, int defaultMaxRows)
    {
        Data = new Option<string?>("--data") { Description = "A CSV or TSV file with a header row (default: the sample's data set from the shared data folder)." };
        TestData = new Option<string?>("--test-data") { Description = "A test file with the same columns (default: a seeded, class-stratified 20 % of --data)." };
        TextColumn = new Option<string>("--text-column") { Description = "The text column of the data files.", DefaultValueFactory = _ => textColumn };
        SecondTextColumn = secondTextColumn is null
            ? null
            : new Option<string>("--second-text-column") { Description = "The second text column (the hypothesis of a pair).", DefaultValueFactory = _ => secondTextColumn };
        LabelColumn = new Option<string>("--label-column") { Description = "The label column (class names) of the data files.", DefaultValueFactory = _ => labelColumn };
        MaxRows = new Option<int?>("--max-rows") { Description = "Train on at most this many rows (a seeded random subset).", DefaultValueFactory = _ => defaultMaxRows };
        MaxLength = new Option<int>("--max-length") { Description = "Truncate each input to this many tokens, special tokens included.", DefaultValueFactory = _ => 64 };
    }

    /// <summary><c>--data</c>.</summary>
    public Option<string?> Data { get; }

    /// <summary><c>--test-data</c>.</summary>
    public Option<string?> TestData { get; }

    /// <summary><c>--text-column</c>.</summary>
    public Option<string> TextColumn { get; }

    /// <summary><c>--second-text-column</c>, for sentence pairs only.</summary>
    public Option<string>? SecondTextColumn { get; }

    /// <summary><c>--label-column</c>.</summary>
    public Option<string> LabelColumn { get; }

    /// <summary><c>--max-rows</c>.</summary>
    public Option<int?> MaxRows { get; }

    /// <summary><c>--max-length</c>.</summary>
    public Option<int> MaxLength { get; }

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        foreach (Option? option in new Option?[] { Data, TestData, TextColumn, SecondTextColumn, LabelColumn, MaxRows, MaxLength })
        {
            if (option is not null)
            {
                command.Options.Add(option);
            }
        }
    }

    /// <summary>The flags' values.</summary>
    public TextDataSettings Read(ParseResult parse) => new(
        parse.GetValue(Data),
        parse.GetValue(TestData),
        parse.GetValue(TextColumn)!,
        SecondTextColumn is null ? null : parse.GetValue(SecondTextColumn),
        parse.GetValue(LabelColumn)!,
        parse.GetValue(MaxRows),
        parse.GetValue(MaxLength));
}
