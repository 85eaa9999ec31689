using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Tasks;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// Text rows (single sentences or pairs) tokenized once, when the data set is built, and kept as token ids with
/// their labels. Batches are padded to their own longest row (dynamic padding) and report their lengths, so the
/// training loop can bucket rows of similar length.
/// </summary>
/// <remarks>
/// Built from an <see cref="IDataView"/>, the rows are streamed through one cursor in chunks and tokenized in
/// parallel; only token ids and labels are kept, never the text. Instances are immutable and thread-safe.
/// </remarks>
public sealed class TextDataSet : ITrainingData<TextBatch>
{
    private const int ChunkRows = 2048;
    private readonly TokenizedText[] _rows;
    private readonly TrainingLabels _labels;

    private TextDataSet(TokenizedText[] rows, TrainingLabels labels, int paddingTokenId)
    {
        if (rows.Length != labels.Count)
        {
            throw new ArgumentException($"There are {rows.Length} rows but {labels.Count} labels.");
        }

        _rows = rows;
        _labels = labels;
        PaddingTokenId = paddingTokenId;
    }

    /// <inheritdoc />
    public int Count => _rows.Length;

    /// <inheritdoc />
    public string ContentFingerprint
    {
        get
        {
            using var fingerprint = new ContentFingerprint("text").Add(PaddingTokenId).Add(_labels);
            foreach (TokenizedText row in _rows)
            {
                fingerprint.Add(row.InputIdSpan).Add(row.TokenTypeIdSpan);
            }

            return fingerprint.Finish();
        }
    }

    /// <inheritdoc />
    public bool HasLengths => true;

    /// <summary>Whether the labels are class indices or regression targets.</summary>
    public TaskKind Kind => _labels.Classes is null ? TaskKind.Regression : TaskKind.Classification;

    /// <summary>The number of classes (the key cardinality, or the largest label + 1); null for regression.</summary>
    public int? ClassCount => _labels.ClassCount;

    /// <summary>The id padding positions get.</summary>
    public int PaddingTokenId { get; }

    /// <summary>The class index of each row (classification), or null.</summary>
    public IReadOnlyList<int>? ClassLabels => _labels.Classes;

    /// <summary>The target of each row (regression), or null.</summary>
    public IReadOnlyList<float>? Targets => _labels.Targets;

    /// <summary>The tokenized row at <paramref name="index"/>.</summary>
    public TokenizedText this[int index] => _rows[index];

    /// <summary>Tokenizes <paramref name="texts"/> (or pairs with <paramref name="secondTexts"/>) for classification.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a text is null, or a label is negative.</exception>
    public static TextDataSet ForClassification(
        ITextTokenizer tokenizer, IReadOnlyList<string> texts, IReadOnlyList<int> labels, IReadOnlyList<string>? secondTexts = null, int? maxLength = null, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        TokenizedText[] rows = Tokenize(tokenizer, texts, secondTexts, maxLength, labels.Count);
        return new TextDataSet(rows, TrainingLabels.ForClasses(labels, classCount), tokenizer.PaddingTokenId);
    }

    /// <summary>Tokenizes <paramref name="texts"/> (or pairs with <paramref name="secondTexts"/>) for regression.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a text is null, or a target is not finite.</exception>
    public static TextDataSet ForRegression(
        ITextTokenizer tokenizer, IReadOnlyList<string> texts, IReadOnlyList<float> targets, IReadOnlyList<string>? secondTexts = null, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        TokenizedText[] rows = Tokenize(tokenizer, texts, secondTexts, maxLength, targets.Count);
        return new TextDataSet(rows, TrainingLabels.ForTargets(targets), tokenizer.PaddingTokenId);
    }

    /// <summary>Wraps rows tokenized elsewhere; give <paramref name="classLabels"/> or <paramref name="targets"/>, not both.</summary>
    public static TextDataSet FromTokenized(
        IReadOnlyList<TokenizedText> rows, int paddingTokenId, IReadOnlyList<int>? classLabels = null, IReadOnlyList<float>? targets = null, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if ((classLabels is null) == (targets is null))
        {
            throw new ArgumentException("Give either class labels (classification) or targets (regression).");
        }

        TokenizedText[] copy = rows.ToArray();
        int nullRow = Array.IndexOf(copy, null);
        if (nullRow >= 0)
        {
            throw new ArgumentException($"Row {nullRow} is null.", nameof(rows));
        }

        TrainingLabels labels = classLabels is not null ? TrainingLabels.ForClasses(classLabels, classCount) : TrainingLabels.ForTargets(targets!);
        return new TextDataSet(copy, labels, paddingTokenId);
    }

    /// <summary>
    /// Streams <paramref name="data"/> once and tokenizes column <paramref name="textColumn"/> (and
    /// <paramref name="secondTextColumn"/> for pairs). For classification the label column may be a key (as
    /// <c>MapValueToKey</c> makes; key k is class k − 1, and the key count is the class count), an integer, a boolean,
    /// or a whole-valued float; for regression any number.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row holds a missing key or an invalid label (the message names the row).</exception>
    public static TextDataSet FromDataView(
        IDataView data, ITextTokenizer tokenizer, string textColumn, string labelColumn, TaskKind kind, string? secondTextColumn = null, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(tokenizer);
        DataViewSchema.Column text = DataViewColumns.Find(data, textColumn, "text");
        DataViewSchema.Column? second = secondTextColumn is null ? null : DataViewColumns.Find(data, secondTextColumn, "second text");
        DataViewSchema.Column label = DataViewColumns.Find(data, labelColumn, kind == TaskKind.Classification ? "label" : "target");

        var columns = new List<DataViewSchema.Column> { text, label };
        if (second is { } s)
        {
            columns.Add(s);
        }

        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        Func<long, string> readText = DataViewColumns.Text(cursor, text);
        Func<long, string>? readSecond = second is { } secondColumn ? DataViewColumns.Text(cursor, secondColumn) : null;
        int? keyCount = null;
        Func<long, int>? readClass = kind == TaskKind.Classification ? DataViewColumns.ClassIndex(cursor, label, out keyCount) : null;
        Func<long, float>? readTarget = kind == TaskKind.Regression ? DataViewColumns.Target(cursor, label) : null;

        var rows = new List<TokenizedText>();
        var classes = new List<int>();
        var targets = new List<float>();
        var firsts = new List<string>(ChunkRows);
        var seconds = readSecond is null ? null : new List<string>(ChunkRows);
        long row = 0;
        while (cursor.MoveNext())
        {
            firsts.Add(readText(row));
            seconds?.Add(readSecond!(row));
            if (readClass is not null)
            {
                classes.Add(readClass(row));
            }
            else
            {
                targets.Add(readTarget!(row));
            }

            row++;
            if (firsts.Count == ChunkRows)
            {
                rows.AddRange(Tokenize(tokenizer, firsts, seconds, maxLength, firsts.Count));
                firsts.Clear();
                seconds?.Clear();
            }
        }

        rows.AddRange(Tokenize(tokenizer, firsts, seconds, maxLength, firsts.Count));
        TrainingLabels labels = readClass is not null ? TrainingLabels.ForClasses(classes, keyCount) : TrainingLabels.ForTargets(targets);
        return new TextDataSet(rows.ToArray(), labels, tokenizer.PaddingTokenId);
    }

    /// <inheritdoc />
    public int GetLength(int index) => _rows[index].Length;

    /// <inheritdoc />
    public TextBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int[] rows = indices.ToArray();
        TokenizedBatch tokens = TokenizedBatch.Pad(rows.Select(i => _rows[i]).ToArray(), PaddingTokenId);
        (int[]? classes, float[]? targets) = _labels.Select(rows);
        return new TextBatch(tokens, rows, classes, targets);
    }

    private static TokenizedText[] Tokenize(ITextTokenizer tokenizer, IReadOnlyList<string> texts, IReadOnlyList<string>? seconds, int? maxLength, int labelCount)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count != labelCount || (seconds is not null && seconds.Count != texts.Count))
        {
            throw new ArgumentException(
                $"The inputs differ in length: {texts.Count} texts, {(seconds is null ? "no" : seconds.Count.ToString())} second texts, {labelCount} labels.");
        }

        var rows = new TokenizedText[texts.Count];
        try
        {
            Parallel.For(0, texts.Count, i =>
            {
                string first = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
                rows[i] = seconds is null
                    ? tokenizer.Encode(first, maxLength)
                    : tokenizer.Encode(first, seconds[i] ?? throw new ArgumentException($"Second text {i} is null.", nameof(seconds)), maxLength);
            });
        }
        catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
        }

        return rows;
    }
}
