using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>Drops rows whose value in a column is missing (key 0, NaN), as ML.NET's trainers skip rows with a missing label.</summary>
internal static class MissingValueFilter
{
    /// <summary><paramref name="data"/> without the rows where <paramref name="columnName"/> (a key or floating-point column) is missing.</summary>
    public static IDataView DropMissing(IHostEnvironment environment, IDataView data, string columnName) =>
        new DataOperationsCatalog(environment).FilterRowsByMissingValues(data, columnName);
}
