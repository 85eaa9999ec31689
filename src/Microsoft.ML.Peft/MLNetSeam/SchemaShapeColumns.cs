using Microsoft.ML.Data;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>Builds <see cref="SchemaShape.Column"/> values, whose constructor ML.NET keeps internal.</summary>
internal static class SchemaShapeColumns
{
    /// <summary>A column shape: its name, whether it is a scalar, a fixed-size or a variable-size vector, its item type and key-ness.</summary>
    public static SchemaShape.Column Create(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null) =>
        new(name, kind, itemType, isKey, annotations);

    /// <summary>The shape of <paramref name="schema"/> (what estimators' <c>GetOutputSchema</c> receives for data of that schema).</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) => SchemaShape.Create(schema);
}
