using System.Globalization;
using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The classes of a key-typed label: how many there are and, when the key column has them, their values (its
/// <c>KeyValues</c> annotation, for example the strings <c>MapValueToKey</c> saw). Kept in the model, so the scores carry
/// class names (<c>SlotNames</c>) and the predicted label maps back to them with <c>MapKeyToValue</c>, with no label
/// column at prediction time.
/// </summary>
internal sealed class LabelClasses
{
    private readonly Array? _values;
    private readonly ValueKind? _kind;

    private LabelClasses(int count, ValueKind? kind, Array? values)
    {
        Count = count;
        _kind = kind;
        _values = values;
    }

    /// <summary>The number of classes (the key's cardinality).</summary>
    public int Count { get; }

    /// <summary>The item type of the key values, or null when the key had none (or of a type we do not keep).</summary>
    public DataViewType? ValueType => _kind?.Type;

    /// <summary>The text of each class: its key value, or its index when there are no key values.</summary>
    public IReadOnlyList<string> Names => _values is null
        ? Enumerable.Range(0, Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
        : _values.Cast<object>().Select(v => Convert.ToString(v is ReadOnlyMemory<char> text ? text.ToString() : v, CultureInfo.InvariantCulture) ?? string.Empty).ToArray();

    /// <summary>Reads the classes of <paramref name="column"/>, which must be a key column of known cardinality.</summary>
    public static LabelClasses FromKeyColumn(DataViewSchema.Column column)
    {
        var key = (KeyDataViewType)column.Type;
        int count = checked((int)key.Count);
        DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull(MLNetSeam.ScoreColumnAnnotations.KeyValues);
        if (annotation?.Type is not VectorDataViewType { ItemType: var itemType } vector || vector.Size != count ||
            ValueKind.For(itemType) is not { } kind)
        {
            return new LabelClasses(count, null, null);
        }

        return new LabelClasses(count, kind, kind.ReadAnnotation(column.Annotations, count));
    }

    /// <summary>Classes without values (for binary or synthetic labels).</summary>
    public static LabelClasses WithoutValues(int count) => new(count, null, null);

    /// <summary>Adds the key values as a vector annotation named <paramref name="name"/>; does nothing when there are none.</summary>
    public void AddValues(DataViewSchema.Annotations.Builder builder, string name) => _kind?.AddAnnotation(builder, name, _values!);

    /// <summary>
    /// Adds the class names as <c>SlotNames</c> of a vector of <see cref="Count"/> scores, only when the key values are
    /// text, as ML.NET's multiclass scorer does (other key values stay available as <c>TrainingLabelValues</c>).
    /// </summary>
    public void AddSlotNames(DataViewSchema.Annotations.Builder builder)
    {
        if (_values is null || ValueType is not TextDataViewType)
        {
            return;
        }

        ReadOnlyMemory<char>[] names = Names.Select(n => n.AsMemory()).ToArray();
        builder.Add(MLNetSeam.ScoreColumnAnnotations.SlotNames, new VectorDataViewType(TextDataViewType.Instance, Count),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, (ReadOnlyMemory<char>[])names.Clone()));
    }

    /// <summary>Writes the count and values (layout: count, value kind code or 0, values).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(Count);
        writer.Write(_kind?.Code ?? (byte)0);
        _kind?.Write(writer, _values!);
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static LabelClasses Read(BinaryReader reader, string source)
    {
        int count = reader.ReadInt32();
        if (count <= 0)
        {
            throw new InvalidDataException($"{source}: the number of classes is {count}.");
        }

        byte code = reader.ReadByte();
        if (code == 0)
        {
            return new LabelClasses(count, null, null);
        }

        ValueKind kind = ValueKind.ForCode(code) ?? throw new InvalidDataException($"{source}: unknown key value type code {code}.");
        return new LabelClasses(count, kind, kind.Read(reader, count));
    }

    /// <summary>One supported item type of key values: how to read it from an annotation, add it to one, and (de)serialize it.</summary>
    private abstract class ValueKind
    {
        private static readonly ValueKind[] All =
        [
            new Kind<ReadOnlyMemory<char>>(1, TextDataViewType.Instance, (w, v) => w.Write(v.ToString()), r => r.ReadString().AsMemory()),
            new Kind<float>(2, NumberDataViewType.Single, (w, v) => w.Write(v), r => r.ReadSingle()),
            new Kind<double>(3, NumberDataViewType.Double, (w, v) => w.Write(v), r => r.ReadDouble()),
            new Kind<int>(4, NumberDataViewType.Int32, (w, v) => w.Write(v), r => r.ReadInt32()),
            new Kind<uint>(5, NumberDataViewType.UInt32, (w, v) => w.Write(v), r => r.ReadUInt32()),
            new Kind<long>(6, NumberDataViewType.Int64, (w, v) => w.Write(v), r => r.ReadInt64()),
            new Kind<ulong>(7, NumberDataViewType.UInt64, (w, v) => w.Write(v), r => r.ReadUInt64()),
            new Kind<short>(8, NumberDataViewType.Int16, (w, v) => w.Write(v), r => r.ReadInt16()),
            new Kind<ushort>(9, NumberDataViewType.UInt16, (w, v) => w.Write(v), r => r.ReadUInt16()),
            new Kind<sbyte>(10, NumberDataViewType.SByte, (w, v) => w.Write(v), r => r.ReadSByte()),
            new Kind<byte>(11, NumberDataViewType.Byte, (w, v) => w.Write(v), r => r.ReadByte()),
            new Kind<bool>(12, BooleanDataViewType.Instance, (w, v) => w.Write(v), r => r.ReadBoolean()),
        ];

        public abstract byte Code { get; }

        public abstract DataViewType Type { get; }

        public static ValueKind? For(DataViewType type) => All.FirstOrDefault(k => k.Type.Equals(type));

        public static ValueKind? ForCode(byte code) => All.FirstOrDefault(k => k.Code == code);

        public abstract Array ReadAnnotation(DataViewSchema.Annotations annotations, int count);

        public abstract void AddAnnotation(DataViewSchema.Annotations.Builder builder, string name, Array values);

        public abstract void Write(BinaryWriter writer, Array values);

        public abstract Array Read(BinaryReader reader, int count);

        private sealed class Kind<T>(byte code, PrimitiveDataViewType type, Action<BinaryWriter, T> write, Func<BinaryReader, T> read) : ValueKind
        {
            public override byte Code => code;

            public override DataViewType Type => type;

            public override Array ReadAnnotation(DataViewSchema.Annotations annotations, int count)
            {
                VBuffer<T> buffer = default;
                annotations.GetValue(MLNetSeam.ScoreColumnAnnotations.KeyValues, ref buffer);
                return buffer.DenseValues().ToArray();
            }

            public override void AddAnnotation(DataViewSchema.Annotations.Builder builder, string name, Array values)
            {
                var typed = (T[])values;
                builder.Add(name, new VectorDataViewType(type, typed.Length), (ref VBuffer<T> value) => value = new VBuffer<T>(typed.Length, (T[])typed.Clone()));
            }

            public override void Write(BinaryWriter writer, Array values)
            {
                foreach (T value in (T[])values)
                {
                    write(writer, value);
                }
            }

            public override Array Read(BinaryReader reader, int count)
            {
                var values = new T[count];
                for (int i = 0; i < count; i++)
                {
                    values[i] = read(reader);
                }

                return values;
            }
        }
    }
}
