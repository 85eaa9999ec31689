namespace Microsoft.ML.Peft.Training;

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>Every planned epoch ran.</summary>
    Completed,

    /// <summary>The selection metric stopped improving for the patience's number of epochs.</summary>
    EarlyStopped,
}
