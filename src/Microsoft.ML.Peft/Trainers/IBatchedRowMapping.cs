using Microsoft.ML.Peft.MLNetSeam;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>A row mapping that can also score a whole data view a batch at a time.</summary>
internal interface IBatchedRowMapping : IRowMapping
{
    /// <summary><paramref name="input"/> with the output columns, computed in batches; <paramref name="outputSchema"/> is the row mapping's output schema over it.</summary>
    IDataView TransformInBatches(IDataView input, DataViewSchema outputSchema);
}
