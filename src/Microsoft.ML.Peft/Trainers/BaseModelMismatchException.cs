namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A model saved with <see cref="BaseModelStorage.Reference"/> was loaded, but the base model its reference resolves to
/// does not hold the weights it was trained on (their SHA-256 differs), so the adapter would be applied to the wrong
/// weights.
/// </summary>
public sealed class BaseModelMismatchException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BaseModelMismatchException(string message, string baseModel, string expectedSha256, string actualSha256)
        : base(message)
    {
        BaseModel = baseModel;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The base model the saved model refers to (a path or Hub id).</summary>
    public string BaseModel { get; }

    /// <summary>The SHA-256 of the base weights recorded when the model was trained.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The SHA-256 of the base weights found at load.</summary>
    public string ActualSha256 { get; }
}
