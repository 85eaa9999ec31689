namespace Microsoft.ML.Peft.Samples;

/// <summary>What a prediction engine returns for one row: the class name (from <c>MapKeyToValue</c>) and every class's probability.</summary>
public sealed class ClassPrediction
{
    /// <summary>The output column of the pipeline's last step, <c>MapKeyToValue("PredictedLabelValue", "PredictedLabel")</c>.</summary>
    public const string ClassColumn = "PredictedLabelValue";

    /// <summary>The predicted class name.</summary>
    public string PredictedLabelValue { get; set; } = "";

    /// <summary>The probability of each class, in the order of the label's key values.</summary>
    public float[] Score { get; set; } = [];
}
