namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// Saves a trained pipeline with <c>mlContext.Model.Save</c>, loads it back, and predicts a few test rows through a
/// <see cref="PredictionEngine{TSrc, TDst}"/> of the loaded model, checking them against the model still in memory.
/// </summary>
internal static class ModelRoundTrip
{
    private const int ShownRows = 3;

    public static void Run<TRow>(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, IReadOnlyList<TRow> testRows, string path)
        where TRow : class, ILabelledRow, new()
    {
        mlContext.Model.Save(model, inputSchema, path);
        ITransformer loaded = mlContext.Model.Load(path, out _);
        Console.WriteLine($"Saved the pipeline to {path} ({new FileInfo(path).Length / 1048576.0:F1} MiB) and loaded it back; predictions of the loaded model:");

        // A prediction engine disposes its model by default: that is right for the loaded copy (its network's tensors
        // live in native memory), not for the trained model, which the caller still uses.
        using var loadedEngine = mlContext.Model.CreatePredictionEngine<TRow, ClassPrediction>(loaded);
        using var trainedEngine = mlContext.Model.CreatePredictionEngine<TRow, ClassPrediction>(model, new PredictionEngineOptions { OwnsTransformer = false });

        // Rows from across the test set rather than its first few, which a file sorted by class would make all alike.
        bool allSame = true;
        foreach (TRow row in Enumerable.Range(0, Math.Min(ShownRows, testRows.Count)).Select(i => testRows[i * testRows.Count / ShownRows]))
        {
            ClassPrediction prediction = loadedEngine.Predict(row);
            allSame &= trainedEngine.Predict(row).Score.SequenceEqual(prediction.Score);
            string verdict = prediction.PredictedLabelValue == row.Label ? "right" : "wrong";
            Console.WriteLine($"  {row.Describe()}");
            Console.WriteLine($"    predicted '{prediction.PredictedLabelValue}' (p = {prediction.Score.Max():F3}), labelled '{row.Label}': {verdict}");
        }

        Console.WriteLine($"  the loaded model's scores are {(allSame ? "identical to" : "DIFFERENT from")} the trained model's on these rows");
    }
}
