using System.Runtime.CompilerServices;
using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// One value computed per input row and shared by the getters of all output columns over that row: ML.NET asks a
/// mapping for each output column's getter separately, with the same <see cref="DataViewRow"/>, so the value (a row's
/// scores, its tokens) is kept per row object and recomputed only when the row's position moves.
/// </summary>
/// <typeparam name="T">The per-row value.</typeparam>
internal sealed class PerRowValues<T>
    where T : class
{
    private readonly ConditionalWeakTable<DataViewRow, Cached> _rows = new();

    /// <summary>
    /// A function that returns the current row's value, computing it with the function <paramref name="create"/> makes
    /// for <paramref name="row"/> the first time the row is asked for at each position.
    /// </summary>
    public Func<T> For(DataViewRow row, Func<DataViewRow, Func<T>> create) => _rows.GetValue(row, r => new Cached(r, create(r))).Current;

    private sealed class Cached(DataViewRow row, Func<T> compute)
    {
        private long _position = -1;
        private T? _value;

        public T Current()
        {
            if (_position != row.Position || _value is null)
            {
                _value = compute();
                _position = row.Position;
            }

            return _value;
        }
    }
}
