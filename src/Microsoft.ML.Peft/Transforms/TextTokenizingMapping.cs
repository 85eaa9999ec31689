using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Transforms;

/// <summary>
/// Tokenises one text column (or two, as a sentence pair) per row into token ids and, where the tokenizer uses them,
/// token type ids. A missing or empty text is tokenised as an empty string (only the special tokens remain).
/// </summary>
internal sealed class TextTokenizingMapping : IRowMapping
{
    private static readonly VectorDataViewType IdVectorType = new(NumberDataViewType.Int64, 0);

    private readonly PerRowValues<TokenizedText> _rows = new();

    public TextTokenizingMapping(TextTokenizer tokenizer, string inputColumnName, string? secondInputColumnName, string outputColumnPrefix, int? maxLength)
    {
        Tokenizer = tokenizer;
        InputColumnName = inputColumnName;
        SecondInputColumnName = secondInputColumnName;
        OutputColumnPrefix = outputColumnPrefix;
        MaxLength = maxLength;
    }

    public TextTokenizer Tokenizer { get; }

    public string InputColumnName { get; }

    public string? SecondInputColumnName { get; }

    public string OutputColumnPrefix { get; }

    public int? MaxLength { get; }

    public string[] OutputColumnNames => Tokenizer.UsesTokenTypeIds
        ? [OutputColumnPrefix + TextTokenizingColumns.InputIds, OutputColumnPrefix + TextTokenizingColumns.TokenTypeIds]
        : [OutputColumnPrefix + TextTokenizingColumns.InputIds];

    public DataViewSchema.DetachedColumn[] GetOutputColumns(DataViewSchema inputSchema)
    {
        RequireTextColumn(inputSchema, InputColumnName);
        if (SecondInputColumnName is not null)
        {
            RequireTextColumn(inputSchema, SecondInputColumnName);
        }

        return OutputColumnNames.Select(name => new DataViewSchema.DetachedColumn(name, IdVectorType)).ToArray();
    }

    public bool IsInputNeeded(DataViewSchema inputSchema, int inputColumnIndex, Func<int, bool> isOutputActive)
    {
        bool anyActive = Enumerable.Range(0, OutputColumnNames.Length).Any(isOutputActive);
        string name = inputSchema[inputColumnIndex].Name;
        return anyActive && (name == InputColumnName || name == SecondInputColumnName)
            && inputSchema.GetColumnOrNull(name)?.Index == inputColumnIndex;
    }

    public Delegate MakeGetter(DataViewRow input, int outputIndex, out Action? disposer)
    {
        disposer = null;

        // Both outputs come from one encoding, shared per row, so a row is tokenised once.
        Func<TokenizedText> encode = _rows.For(input, row =>
        {
            ValueGetter<ReadOnlyMemory<char>> first = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[InputColumnName]);
            ValueGetter<ReadOnlyMemory<char>>? second = SecondInputColumnName is null
                ? null
                : row.GetGetter<ReadOnlyMemory<char>>(row.Schema[SecondInputColumnName]);
            return () =>
            {
                ReadOnlyMemory<char> text = default;
                first(ref text);
                if (second is null)
                {
                    return Tokenizer.Encode(text.ToString(), MaxLength);
                }

                ReadOnlyMemory<char> pair = default;
                second(ref pair);
                return Tokenizer.Encode(text.ToString(), pair.ToString(), MaxLength);
            };
        });

        bool tokenTypes = outputIndex == 1;
        ValueGetter<VBuffer<long>> getter = (ref VBuffer<long> value) =>
        {
            TokenizedText encoded = encode();
            IReadOnlyList<int> ids = tokenTypes ? encoded.TokenTypeIds : encoded.InputIds;
            var editor = VBufferEditor.Create(ref value, ids.Count);
            for (int i = 0; i < ids.Count; i++)
            {
                editor.Values[i] = ids[i];
            }

            value = editor.Commit();
        };
        return getter;
    }

    public void Save(ModelWriter writer)
    {
        writer.WriteString(InputColumnName);
        writer.WriteStringOrNull(SecondInputColumnName);
        writer.WriteString(OutputColumnPrefix);
        writer.Writer.Write(MaxLength ?? -1);
        writer.WriteBinaryStream(TokenizerStreamName, w => TokenizerPersistence.Write(w, Tokenizer));
    }

    public static TextTokenizingMapping Load(ModelReader reader)
    {
        string input = reader.ReadString();
        string? second = reader.ReadStringOrNull();
        string prefix = reader.ReadString();
        int maxLength = reader.Reader.ReadInt32();
        TextTokenizer? tokenizer = null;
        if (!reader.TryReadBinaryStream(TokenizerStreamName, r => tokenizer = TokenizerPersistence.Read(r, "the model's tokenizer stream")))
        {
            throw new InvalidDataException($"The saved text tokenizing transformer has no '{TokenizerStreamName}' entry.");
        }

        return new TextTokenizingMapping(tokenizer!, input, second, prefix, maxLength < 0 ? null : maxLength);
    }

    internal const string TokenizerStreamName = "Tokenizer.bin";

    private static void RequireTextColumn(DataViewSchema schema, string name)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' is not in the data (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' must be of type String (text) but is {column.Type}.");
        }
    }
}
