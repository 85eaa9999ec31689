using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>One row's text, or pair of texts.</summary>
internal readonly record struct TextInput(string First, string? Second);

/// <summary>
/// Reads a text column (and a second one for sentence pairs). A missing value (ML.NET's default text) and an empty
/// string are both read as the empty string: the model then sees only the special tokens and still predicts.
/// </summary>
internal sealed class TextInputs : IScoringInputs<TextInput>
{
    public TextInputs(string textColumnName, string? secondTextColumnName)
    {
        TextColumnName = textColumnName;
        SecondTextColumnName = secondTextColumnName;
    }

    public string TextColumnName { get; }

    public string? SecondTextColumnName { get; }

    public IReadOnlyList<string> ColumnNames => SecondTextColumnName is null ? [TextColumnName] : [TextColumnName, SecondTextColumnName];

    public void Validate(DataViewSchema schema)
    {
        foreach (string name in ColumnNames)
        {
            DataViewSchema.Column column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Text column '{name}' is not in the data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
            if (column.Type is not TextDataViewType)
            {
                throw new ArgumentOutOfRangeException(nameof(schema), $"Text column '{name}' must be of type String (text) but is {column.Type}.");
            }
        }
    }

    public Func<TextInput> CreateReader(DataViewRow row)
    {
        ValueGetter<ReadOnlyMemory<char>> first = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[TextColumnName]);
        ValueGetter<ReadOnlyMemory<char>>? second = SecondTextColumnName is null ? null : row.GetGetter<ReadOnlyMemory<char>>(row.Schema[SecondTextColumnName]);
        ReadOnlyMemory<char> text = default;
        ReadOnlyMemory<char> pair = default;
        return () =>
        {
            first(ref text);
            if (second is null)
            {
                return new TextInput(text.ToString(), null);
            }

            second(ref pair);
            return new TextInput(text.ToString(), pair.ToString());
        };
    }
}
