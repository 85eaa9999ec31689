using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Vision;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>Finds IDataView columns and reads them as training inputs, with errors that name the column and the row.</summary>
internal static class DataViewColumns
{
    public static DataViewSchema.Column Find(IDataView data, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(name, role);
        DataViewSchema.Column? column = data.Schema.GetColumnOrNull(name);
        if (column is null)
        {
            throw new ArgumentException(
                $"The {role} column '{name}' is not in the data; its columns are [{string.Join(", ", data.Schema.Select(c => c.Name))}].", role);
        }

        return column.Value;
    }

    public static Func<long, string> Text(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentException($"The text column '{column.Name}' is {column.Type}; it must be text (string).");
        }

        ValueGetter<ReadOnlyMemory<char>> getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        return _ =>
        {
            getter(ref value);
            return value.ToString();
        };
    }

    /// <summary>
    /// A reader of 0-based class indices: key columns (ML.NET's <c>MapValueToKey</c>, keys 1…n) give key − 1;
    /// integer, boolean and whole-valued float columns give their value. <paramref name="keyCount"/> is the key
    /// cardinality when the column is a key.
    /// </summary>
    public static Func<long, int> ClassIndex(DataViewRowCursor cursor, DataViewSchema.Column column, out int? keyCount)
    {
        keyCount = null;
        string name = column.Name;
        if (column.Type is KeyDataViewType key)
        {
            keyCount = key.Count is > 0 and <= int.MaxValue ? (int)key.Count : null;
            Func<ulong> raw = RawKey(cursor, column);
            return row =>
            {
                ulong value = raw();
                if (value == 0)
                {
                    throw new InvalidDataException($"Row {row} of label column '{name}' has a missing key value (the label was not in the key's dictionary).");
                }

                return checked((int)(value - 1));
            };
        }

        Func<double> number = Number(cursor, column, "label");
        return row =>
        {
            double value = number();
            if (!(value >= 0) || value != Math.Floor(value) || value > int.MaxValue)
            {
                throw new InvalidDataException($"Row {row} of label column '{name}' holds {value}; a class label must be a non-negative whole number.");
            }

            return (int)value;
        };
    }

    public static Func<long, float> Target(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        string name = column.Name;
        Func<double> number = Number(cursor, column, "target");
        return row =>
        {
            double value = number();
            if (!double.IsFinite(value))
            {
                throw new InvalidDataException($"Row {row} of target column '{name}' holds {value}; regression targets must be finite.");
            }

            return (float)value;
        };
    }

    public static Func<long, byte[]> Bytes(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is ImageDataViewType)
        {
            // An ML.NET image (LoadImages) is kept as lossless PNG bytes, like the encoded images of LoadRawImageBytes.
            ValueGetter<MLImage> getImage = cursor.GetGetter<MLImage>(column);
            MLImage image = null!;
            return row =>
            {
                getImage(ref image);
                return MLImageEncoding.ToPng(image, $"the image of row {row} in column '{column.Name}'");
            };
        }

        if (column.Type is not VectorDataViewType { ItemType.RawType: var itemType } || itemType != typeof(byte))
        {
            throw new ArgumentException($"The image column '{column.Name}' is {column.Type}; it must be a byte vector (LoadRawImageBytes), an image (LoadImages) or text paths.");
        }

        ValueGetter<VBuffer<byte>> getter = cursor.GetGetter<VBuffer<byte>>(column);
        VBuffer<byte> value = default;
        return _ =>
        {
            getter(ref value);
            return value.DenseValues().ToArray();
        };
    }

    private static Func<ulong> RawKey(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        Type raw = column.Type.RawType;
        if (raw == typeof(uint))
        {
            return ReadKey<uint>(cursor, column, v => v);
        }

        if (raw == typeof(ulong))
        {
            return ReadKey<ulong>(cursor, column, v => v);
        }

        if (raw == typeof(ushort))
        {
            return ReadKey<ushort>(cursor, column, v => v);
        }

        if (raw == typeof(byte))
        {
            return ReadKey<byte>(cursor, column, v => v);
        }

        throw new ArgumentException($"The key column '{column.Name}' has raw type {raw.Name}, which is not supported.");
    }

    private static Func<double> Number(DataViewRowCursor cursor, DataViewSchema.Column column, string role)
    {
        Type raw = column.Type.RawType;
        if (column.Type is not (NumberDataViewType or BooleanDataViewType))
        {
            throw new ArgumentException($"The {role} column '{column.Name}' is {column.Type}; it must be a number, a boolean or (for labels) a key.");
        }

        return raw switch
        {
            _ when raw == typeof(float) => ReadNumber<float>(cursor, column, v => v),
            _ when raw == typeof(double) => ReadNumber<double>(cursor, column, v => v),
            _ when raw == typeof(int) => ReadNumber<int>(cursor, column, v => v),
            _ when raw == typeof(long) => ReadNumber<long>(cursor, column, v => v),
            _ when raw == typeof(uint) => ReadNumber<uint>(cursor, column, v => v),
            _ when raw == typeof(ulong) => ReadNumber<ulong>(cursor, column, v => v),
            _ when raw == typeof(short) => ReadNumber<short>(cursor, column, v => v),
            _ when raw == typeof(ushort) => ReadNumber<ushort>(cursor, column, v => v),
            _ when raw == typeof(sbyte) => ReadNumber<sbyte>(cursor, column, v => v),
            _ when raw == typeof(byte) => ReadNumber<byte>(cursor, column, v => v),
            _ when raw == typeof(bool) => ReadNumber<bool>(cursor, column, v => v ? 1.0 : 0.0),
            _ => throw new ArgumentException($"The {role} column '{column.Name}' has type {raw.Name}, which is not supported."),
        };
    }

    private static Func<TOut> Read<T, TOut>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, TOut> convert)
    {
        ValueGetter<T> getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return convert(value);
        };
    }

    private static Func<ulong> ReadKey<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, ulong> convert) =>
        Read<T, ulong>(cursor, column, convert);

    private static Func<double> ReadNumber<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, double> convert) =>
        Read<T, double>(cursor, column, convert);
}
