namespace Microsoft.ML.Peft.Samples;

/// <summary>A row of a sample's data as ML.NET reads it: the class name in <see cref="Label"/> and the model's inputs.</summary>
public interface ILabelledRow
{
    /// <summary>The class name (the pipeline maps it to a key with <c>MapValueToKey</c>).</summary>
    string Label { get; }

    /// <summary>The row's inputs as a short text, for printing predictions.</summary>
    string Describe();
}
