namespace Microsoft.ML.Peft.Trainers;

/// <summary>The row counts a trainer's <c>Fit</c> needs, checked once the rows with a missing label have been skipped.</summary>
internal static class FitRows
{
    /// <summary>Refuses training data, or a given validation set, left without rows.</summary>
    /// <exception cref="InvalidOperationException">No training rows.</exception>
    /// <exception cref="ArgumentException">The validation set has no rows (it would score every epoch as loss 0).</exception>
    public static void Require(int trainingRows, int? validationRows, string labelColumnName)
    {
        if (trainingRows == 0)
        {
            throw new InvalidOperationException($"No training rows: the data is empty, or every row's label '{labelColumnName}' is missing.");
        }

        if (validationRows == 0)
        {
            throw new ArgumentException(
                $"The ValidationSet has no rows: it is empty, or every row's label '{labelColumnName}' is missing. Give it rows, or leave it null (ValidationFraction then holds some training rows out).",
                "ValidationSet");
        }
    }
}
