using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// Reads a CSV or TSV file with a header row through ML.NET's <see cref="TextLoader"/> into typed rows. A <c>.tsv</c>
/// file (or one whose header holds a tab) is split on tabs with quoting off, since TSV text often holds bare quotes;
/// anything else is read as RFC-4180 CSV: quoted fields, doubled quotes, line breaks inside quotes.
/// </summary>
public static class DelimitedFile
{
    /// <summary>
    /// The rows of <paramref name="path"/>, with each property of <typeparamref name="TRow"/> named in
    /// <paramref name="columns"/> read from the file column given there; the other properties keep their defaults.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or lacks a requested column (the message lists the header).</exception>
    public static List<TRow> Read<TRow>(MLContext mlContext, string path, IReadOnlyDictionary<string, string> columns)
        where TRow : class, new()
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The data file '{path}' does not exist.", path);
        }

        string header = File.ReadLines(path).FirstOrDefault() ?? throw new InvalidDataException($"'{path}' is empty: expected a header row.");
        bool tabs = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || header.Contains('\t');
        char separator = tabs ? '\t' : ',';
        string[] names = header.Split(separator).Select(n => n.Trim().Trim('"')).ToArray();
        foreach ((string property, string column) in columns)
        {
            if (!names.Contains(column, StringComparer.Ordinal))
            {
                throw new InvalidDataException(
                    $"'{path}' has no column '{column}' (for {property}); its header has: {string.Join(", ", names.Select(n => $"'{n}'"))}. Name the right one with the column flags (see --help).");
            }
        }

        var loader = mlContext.Data.CreateTextLoader(new TextLoader.Options
        {
            Separators = [separator],
            HasHeader = true,
            AllowQuoting = !tabs,
            ReadMultilines = !tabs,
            TrimWhitespace = false,
            Columns = names.Select((name, i) => new TextLoader.Column(name, DataKind.String, i)).ToArray(),
        });

        SchemaDefinition definition = SchemaDefinition.Create(typeof(TRow));
        definition.RemoveAll(c => !columns.ContainsKey(c.MemberName));
        foreach (SchemaDefinition.Column column in definition)
        {
            column.ColumnName = columns[column.MemberName];
        }

        return mlContext.Data.CreateEnumerable<TRow>(loader.Load(path), reuseRowObject: false, schemaDefinition: definition).ToList();
    }
}
