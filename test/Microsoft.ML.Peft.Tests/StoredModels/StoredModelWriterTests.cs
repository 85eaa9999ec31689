using Microsoft.ML.Peft.Tests.Training;

namespace Microsoft.ML.Peft.Tests.StoredModels;

/// <summary>
/// The writer of the stored models: what it writes today loads back and predicts what it recorded. Setting
/// <c>PEFT_WRITE_STORED_MODELS</c> to a folder also writes the set there, to commit as a new version folder when a
/// trainer's format version changes (see <c>StoredModels/README.md</c>).
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class StoredModelWriterTests
{
    [Fact]
    public void TheStoredModelsWrittenTodayLoadBackAndPredictWhatTheyRecorded()
    {
        using var folder = new TemporaryFolder();
        string target = Environment.GetEnvironmentVariable("PEFT_WRITE_STORED_MODELS") is { Length: > 0 } requested ? requested : folder.Path;
        StoredModelFixtures.Write(target);

        foreach (System.Text.Json.Nodes.JsonNode? model in StoredModelCompatibilityTests.Expected(target)["models"]!.AsArray())
        {
            StoredModelCompatibilityTests.CheckStoredModel(target, (string)model!["file"]!);
        }
    }
}
