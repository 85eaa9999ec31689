namespace Microsoft.ML.Peft.Trainers;

/// <summary>The input columns a trained model reads per row, and how to read one row's input.</summary>
/// <typeparam name="TInput">One row's input (a text or pair of texts, an image).</typeparam>
internal interface IScoringInputs<TInput>
{
    /// <summary>The names of the input columns read.</summary>
    IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Checks that the columns exist with a usable type.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type; the message names it and the expected type.</exception>
    void Validate(DataViewSchema schema);

    /// <summary>A reader of the current row's input from <paramref name="row"/> (a cursor or a prediction engine's row).</summary>
    Func<TInput> CreateReader(DataViewRow row);
}
