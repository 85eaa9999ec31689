using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Testing;

/// <summary>(Shared with the test project, which links this file.) Reads chosen columns of a data view into plain values that serialise to JSON (scalars and vectors).</summary>
internal static class OutputRows
{
    public static IEnumerable<Dictionary<string, object?>> Read(IDataView data, IReadOnlyList<string> columns)
    {
        DataViewSchema.Column[] selected = columns
            .Select(name => data.Schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The model's output has no column '{name}'."))
            .ToArray();
        using DataViewRowCursor cursor = data.GetRowCursor(selected);
        Func<object?>[] getters = selected.Select(c => MakeReader(cursor, c)).ToArray();
        while (cursor.MoveNext())
        {
            var row = new Dictionary<string, object?>();
            for (int i = 0; i < selected.Length; i++)
            {
                row[selected[i].Name] = getters[i]();
            }

            yield return row;
        }
    }

    private static Func<object?> MakeReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        Type raw = column.Type.RawType;
        if (column.Type is VectorDataViewType vector)
        {
            return (Func<object?>)typeof(OutputRows).GetMethod(nameof(VectorReader), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(vector.ItemType.RawType).Invoke(null, new object[] { cursor, column })!;
        }

        return (Func<object?>)typeof(OutputRows).GetMethod(nameof(ScalarReader), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(raw).Invoke(null, new object[] { cursor, column })!;
    }

    private static Func<object?> ScalarReader<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        ValueGetter<T> getter = cursor.GetGetter<T>(column);
        return () =>
        {
            T value = default!;
            getter(ref value);
            return value is ReadOnlyMemory<char> text ? text.ToString() : value;
        };
    }

    private static Func<object?> VectorReader<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        ValueGetter<VBuffer<T>> getter = cursor.GetGetter<VBuffer<T>>(column);
        return () =>
        {
            VBuffer<T> value = default;
            getter(ref value);
            return value.DenseValues().Select(v => v is ReadOnlyMemory<char> text ? (object?)text.ToString() : v).ToArray();
        };
    }
}
