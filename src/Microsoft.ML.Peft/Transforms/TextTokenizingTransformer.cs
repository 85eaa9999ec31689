using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Transforms;

/// <summary>
/// Tokenises a text column (or a pair of text columns) with a BERT WordPiece or RoBERTa byte-level BPE tokenizer into
/// <see cref="TextTokenizingColumns.InputIds"/> and, for BERT, <see cref="TextTokenizingColumns.TokenTypeIds"/>.
/// The tokenizer itself is saved into the model, so <c>mlContext.Model.Load</c> needs no files beside the zip.
/// Created by <see cref="TextTokenizingEstimator"/> (see <c>mlContext.Transforms.Text.TokenizeForTransformer</c>).
/// </summary>
public sealed class TextTokenizingTransformer : ITransformer
{
    internal const string LoaderSignature = "PeftTextTokenizer"; // ML.NET allows at most 23 characters

    internal static readonly ModelVersion Version = new(
        ModelSignature: "PEFTTOKN",
        VersionWritten: 0x00010001,
        VersionReadable: 0x00010001,
        VersionWeCanReadBack: 0x00010001,
        LoaderSignature: LoaderSignature,
        LoaderType: typeof(TextTokenizingTransformer));

    private readonly TextTokenizingMapping _mapping;
    private readonly RowMappingTransformer _engine;

    internal TextTokenizingTransformer(IHostEnvironment environment, TextTokenizingMapping mapping)
    {
        _mapping = mapping;
        _engine = new RowMappingTransformer(environment, nameof(TextTokenizingTransformer), mapping, Version);
    }

    /// <summary>The tokenizer this transformer applies.</summary>
    public ITextTokenizer Tokenizer => _mapping.Tokenizer;

    /// <summary>The text column that is tokenised (the first text of a pair).</summary>
    public string InputColumnName => _mapping.InputColumnName;

    /// <summary>The second text column of a sentence pair, or null for single texts.</summary>
    public string? SecondInputColumnName => _mapping.SecondInputColumnName;

    /// <summary>The names of the columns this transformer adds.</summary>
    public IReadOnlyList<string> OutputColumnNames => _mapping.OutputColumnNames;

    /// <summary>The longest token sequence produced (longer texts are truncated), or null for the tokenizer's own limit.</summary>
    public int? MaxLength => _mapping.MaxLength;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _engine.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => ((ITransformer)_engine).GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _engine.Transform(input);

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx) => _engine.SaveTo(ctx);

    internal static TextTokenizingTransformer Load(IHostEnvironment environment, ModelReader reader) =>
        new(environment, TextTokenizingMapping.Load(reader));
}
