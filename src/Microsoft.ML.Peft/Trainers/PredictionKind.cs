namespace Microsoft.ML.Peft.Trainers;

/// <summary>What a trained model predicts, which decides its output columns (those of ML.NET's built-in trainers of that kind).</summary>
internal enum PredictionKind : byte
{
    /// <summary><c>PredictedLabel</c> (key) and <c>Score</c> (one probability per class).</summary>
    Multiclass = 1,

    /// <summary><c>PredictedLabel</c> (Boolean), <c>Score</c> (the margin) and <c>Probability</c>.</summary>
    Binary = 2,

    /// <summary><c>Score</c> (the predicted value).</summary>
    Regression = 3,
}
