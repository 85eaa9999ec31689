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

    public BatchedScoringDataView(IDataView input, DataViewSchema schema, ScoringMapping<TInput> mapping)
    {
        int added = mapping.Outputs.ColumnNames.Count;
        if (schema.Count != input.Schema.Count + added)
        {
            throw new InvalidOperationException($"The output schema has {schema.Count} columns; expected the {input.Schema.Count} input columns and {added} score columns.");
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
        private readonly int _inputCount;

        public Cursor(BatchedScoringDataView<TInput> parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            DataViewSchema inputSchema = parent._input.Schema;
            _inputCount = inputSchema.Count;
            _activeOutputs = new bool[parent.Schema.Count - _inputCount];
            var inputColumns = new List<DataViewSchema.Column>();
            foreach (DataViewSchema.Column column in columnsNeeded)
            {
                if (column.Index < _inputCount)
                {
                    inputColumns.Add(inputSchema[column.Index]);
                }
                else
                {
                    _activeOutputs[column.Index - _inputCount] = true;
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

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _inputCount ? _input.IsColumnActive(_input.Schema[column.Index]) : _activeOutputs[column.Index - _inputCount];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _inputCount)
            {
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            }

            int output = column.Index - _inputCount;
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
