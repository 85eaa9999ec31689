using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The input data with a trained model's score columns, scored a window of rows at a time. Each cursor passes the input
/// columns through from one input cursor and, when a score column is active, reads the model inputs from a second input
/// cursor that runs ahead by up to one window: it reads <see cref="WindowBatches"/> × <see cref="ScoringMapping{TInput}.BatchSize"/>
/// rows, has the scorer score them in forward passes of at most a batch (texts grouped by length, so little padding),
/// and serves their scores as the first cursor reaches them. Both cursors walk the input in its own order
/// (this view does not shuffle), so row i of one is row i of the other; an input that yields a different number of rows
/// the second time fails with a clear message. Cursors are independent (own batch, own tensors) and may run on
/// different threads at once.
/// </summary>
internal sealed class BatchedScoringDataView<TInput> : IDataView
{
    /// <summary>
    /// Batches read ahead together: enough rows for the scorer to group texts of similar length (the training engine's
    /// length bucketing does the same over 50 batches), few enough that their inputs and scores stay small in memory.
    /// </summary>
    public const int WindowBatches = 8;

    private readonly IDataView _input;
    private readonly ScoringMapping<TInput> _mapping;

    /// <summary>Per output column: the index of the input column it passes through, or -1 for a score column.</summary>
    private readonly int[] _inputColumnOf;

    /// <summary>Per output column: which of the mapping's score columns it is, or -1 for a passed-through input column.</summary>
    private readonly int[] _scoreColumnOf;

    public BatchedScoringDataView(IDataView input, DataViewSchema schema, ScoringMapping<TInput> mapping)
    {
        IReadOnlyList<string> scoreNames = mapping.Outputs.ColumnNames;
        if (schema.Count != input.Schema.Count + scoreNames.Count)
        {
            throw new InvalidOperationException($"The output schema has {schema.Count} columns; expected the {input.Schema.Count} input columns and {scoreNames.Count} score columns.");
        }

        // ML.NET places an added column next to the input column of the same name that it hides (an input that already
        // has a Score column), not always at the end, so the columns are told apart by name: each score column is the
        // visible column of its name, and the other columns are the input's, in the input's order.
        _scoreColumnOf = Enumerable.Repeat(-1, schema.Count).ToArray();
        for (int score = 0; score < scoreNames.Count; score++)
        {
            DataViewSchema.Column column = schema.GetColumnOrNull(scoreNames[score])
                ?? throw new InvalidOperationException($"The output schema has no visible '{scoreNames[score]}' column.");
            _scoreColumnOf[column.Index] = score;
        }

        _inputColumnOf = new int[schema.Count];
        int next = 0;
        for (int index = 0; index < schema.Count; index++)
        {
            if (_scoreColumnOf[index] >= 0)
            {
                _inputColumnOf[index] = -1;
                continue;
            }

            DataViewSchema.Column passed = input.Schema[next];
            if (schema[index].Name != passed.Name || !schema[index].Type.Equals(passed.Type))
            {
                throw new InvalidOperationException(
                    $"Output column {index} is '{schema[index].Name}' of type {schema[index].Type}; expected input column {next}, '{passed.Name}' of type {passed.Type}.");
            }

            _inputColumnOf[index] = next++;
        }

        _input = input;
        Schema = schema;
        _mapping = mapping;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    // One cursor: the batches already use the model's own threads; several cursors would only split the batches.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedScoringDataView<TInput> _parent;
        private readonly DataViewRowCursor _input;
        private readonly bool[] _activeOutputs;
        private readonly ScoreStream? _scores;

        public Cursor(BatchedScoringDataView<TInput> parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            DataViewSchema inputSchema = parent._input.Schema;
            _activeOutputs = new bool[parent._mapping.Outputs.ColumnNames.Count];
            var inputColumns = new List<DataViewSchema.Column>();
            foreach (DataViewSchema.Column column in columnsNeeded)
            {
                int input = parent._inputColumnOf[column.Index];
                if (input >= 0)
                {
                    inputColumns.Add(inputSchema[input]);
                }
                else
                {
                    _activeOutputs[parent._scoreColumnOf[column.Index]] = true;
                }
            }

            _input = parent._input.GetRowCursor(inputColumns);
            if (_activeOutputs.Any(a => a))
            {
                IEnumerable<DataViewSchema.Column> modelInputs = parent._mapping.Inputs.ColumnNames.Select(name => inputSchema[name]);
                _scores = new ScoreStream(parent._input.GetRowCursor(modelInputs), parent._mapping);
            }
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override bool MoveNext() => _input.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            int input = _parent._inputColumnOf[column.Index];
            return input >= 0 ? _input.IsColumnActive(_input.Schema[input]) : _activeOutputs[_parent._scoreColumnOf[column.Index]];
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int input = _parent._inputColumnOf[column.Index];
            if (input >= 0)
            {
                return _input.GetGetter<TValue>(_input.Schema[input]);
            }

            int output = _parent._scoreColumnOf[column.Index];
            if (!_activeOutputs[output] || _scores is null)
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            }

            ScoreStream scores = _scores;
            Delegate getter = _parent._mapping.Outputs.MakeGetter(output, () => scores.At(_input.Position));
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
                _scores?.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Reads model inputs ahead of the main cursor and scores them a batch at a time.</summary>
    private sealed class ScoreStream : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly Func<TInput> _read;
        private readonly ScoringMapping<TInput> _mapping;
        private readonly List<TInput> _pending = [];
        private float[][] _batch = [];
        private long _batchStart;
        private bool _exhausted;

        public ScoreStream(DataViewRowCursor cursor, ScoringMapping<TInput> mapping)
        {
            _cursor = cursor;
            _read = mapping.Inputs.CreateReader(cursor);
            _mapping = mapping;
        }

        public float[] At(long position)
        {
            if (position < _batchStart)
            {
                throw new InvalidOperationException($"Row {position} was asked for after row {_batchStart}; cursors move forward only.");
            }

            while (position >= _batchStart + _batch.Length)
            {
                NextBatch(position);
            }

            return _batch[position - _batchStart];
        }

        private void NextBatch(long wanted)
        {
            _batchStart += _batch.Length;
            _pending.Clear();
            while (!_exhausted && _pending.Count < _mapping.BatchSize * WindowBatches)
            {
                if (!_cursor.MoveNext())
                {
                    _exhausted = true;
                    break;
                }

                _pending.Add(_read());
            }

            if (_pending.Count == 0)
            {
                throw new InvalidOperationException(
                    $"The input data yielded fewer rows on a second pass ({_batchStart}) than asked for (row {wanted}); scoring in batches needs input that yields the same rows each time it is read.");
            }

            _batch = _mapping.Scorer.Score(_pending, _mapping.BatchSize);
        }

        public void Dispose() => _cursor.Dispose();
    }
}
