using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Tests.Trainers;
using Microsoft.ML.Peft.Tests.Training;
using PeftTransformer = Microsoft.ML.Peft.Trainers.PeftTransformer;

namespace Microsoft.ML.Peft.Tests.StoredModels;

/// <summary>
/// Models saved by earlier versions (committed under <c>StoredModels/v1</c>, <c>v2</c>, …) keep loading, as the same transformer
/// types, and predict what they predicted when they were saved.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class StoredModelCompatibilityTests
{
    // The stored scores were computed on another machine; libtorch's CPU kernels may round differently on another CPU.
    private const double Tolerance = 1e-5;

    public static TheoryData<string, string> StoredModels()
    {
        var data = new TheoryData<string, string>();
        foreach (string version in StoredModelFixtures.Versions)
        {
            foreach (JsonNode? model in Expected(StoredModelFixtures.CommittedFolder(version))["models"]!.AsArray())
            {
                data.Add(version, (string)model!["file"]!);
            }
        }

        return data;
    }

    public static TheoryData<string> Versions() => new(StoredModelFixtures.Versions);

    [Theory]
    [MemberData(nameof(StoredModels))]
    public void AStoredModelLoadsAsItsOwnTypeAndPredictsWhatItPredictedWhenSaved(string version, string file) =>
        CheckStoredModel(StoredModelFixtures.CommittedFolder(version), file);

    [Theory]
    [MemberData(nameof(Versions))]
    public void EveryTrainerKindHasAStoredModel(string version)
    {
        string[] types = Expected(StoredModelFixtures.CommittedFolder(version))["models"]!.AsArray().Select(m => (string)m!["transformer"]!).Distinct().ToArray();
        string[] trainers = typeof(PeftTransformer).Assembly.GetExportedTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(PeftTransformer))).Select(t => t.FullName!).ToArray();
        Assert.Equal(trainers.Order(), types.Order());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AStoredMulticlassModelEvaluatesWithItsClassNames(string version)
    {
        var mlContext = new MLContext(seed: 1);
        string folder = StoredModelFixtures.CommittedFolder(version);
        ITransformer model = mlContext.Model.Load(Path.Combine(folder, "text-multiclass.zip"), out _);
        IDataView inputs = StoredModelFixtures.Inputs(mlContext, Expected(folder), "text", folder);
        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(inputs));
        string table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        Assert.All(TinyTextTask.Classes, c => Assert.Contains(c, table));
    }

    /// <summary>Loads <paramref name="file"/> from <paramref name="folder"/> in a fresh context and checks it against the folder's expected outputs.</summary>
    internal static void CheckStoredModel(string folder, string file)
    {
        JsonObject expected = Expected(folder);
        JsonObject entry = expected["models"]!.AsArray().Select(m => m!.AsObject()).Single(m => (string)m["file"]! == file);
        if (entry["base_model"] is JsonObject baseModel)
        {
            CheckReferencedModel(folder, expected, entry, baseModel);
            return;
        }

        var mlContext = new MLContext(seed: 1);
        ITransformer model = mlContext.Model.Load(Path.Combine(folder, file), out _);
        ITransformer[] parts = StoredModelFixtures.Parts(model);
        Assert.Equal((string)entry["transformer"]!, parts.Single(p => p is PeftTransformer).GetType().FullName);
        Assert.Equal((string)entry["last_transformer"]!, parts[^1].GetType().FullName);

        string[] columns = entry["columns"]!.AsArray().Select(c => (string)c!).ToArray();
        JsonArray actual = StoredModelFixtures.Outputs(model.Transform(StoredModelFixtures.Inputs(mlContext, expected, (string)entry["inputs"]!, folder)), columns);
        AssertSameRows(entry, actual.Select(row => row!).ToList(), columns);

        foreach (ITransformer part in parts)
        {
            (part as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// A model that refers to its base model by Hub id: the base's files go into a fresh Hugging Face cache at the
    /// recorded commit, and the model is loaded in another process with that cache, offline (so nothing is downloaded and
    /// the test machine's own cache and environment play no part).
    /// </summary>
    private static void CheckReferencedModel(string folder, JsonObject expected, JsonObject entry, JsonObject baseModel)
    {
        using var cache = new TemporaryFolder();
        string snapshot = new Microsoft.ML.Peft.Hub.HubCache(cache.Path).GetSnapshotFolder((string)baseModel["repo_id"]!, (string)baseModel["commit"]!);
        Directory.CreateDirectory(snapshot);
        foreach (string source in Directory.GetFiles(Path.Combine(folder, (string)baseModel["folder"]!)))
        {
            File.Copy(source, Path.Combine(snapshot, Path.GetFileName(source)));
        }

        string inputs = cache.File("inputs.tsv");
        StoredModelFixtures.WriteInputsTsv(expected, (string)entry["inputs"]!, inputs);
        string[] columns = entry["columns"]!.AsArray().Select(c => (string)c!).ToArray();
        ModelLoadProbe.Result result = ModelLoadProbe.Run(
            Path.Combine(folder, (string)entry["file"]!),
            inputs,
            new Dictionary<string, string> { ["HF_HUB_CACHE"] = cache.Path, ["HF_HUB_OFFLINE"] = "1", ["HF_ENDPOINT"] = Microsoft.ML.Peft.Tests.Hub.HubTestContext.RefusingEndpoint() },
            columns);

        Assert.Equal((string)entry["last_transformer"]!, result.TransformerType);
        AssertSameRows(entry, result.Rows.Select(row => JsonNode.Parse(row.GetRawText())!).ToList(), columns);
    }

    /// <summary>Every output row of <paramref name="actual"/> matches the entry's recorded rows in <paramref name="columns"/>.</summary>
    private static void AssertSameRows(JsonObject entry, IReadOnlyList<JsonNode> actual, string[] columns)
    {
        JsonArray rows = entry["rows"]!.AsArray();
        Assert.Equal(rows.Count, actual.Count);
        for (int r = 0; r < rows.Count; r++)
        {
            foreach (string column in columns)
            {
                AssertSameValue(rows[r]![column], actual[r][column], $"{entry["file"]}, row {r}, column {column}");
            }
        }
    }

    internal static JsonObject Expected(string folder)
    {
        string path = Path.Combine(folder, StoredModelFixtures.ExpectedFileName);
        return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path} is empty.");
    }

    private static void AssertSameValue(JsonNode? expected, JsonNode? actual, string where)
    {
        switch (expected)
        {
            case JsonArray expectedItems:
                JsonArray actualItems = Assert.IsType<JsonArray>(actual);
                Assert.True(expectedItems.Count == actualItems.Count, $"{where}: {actualItems.Count} values, expected {expectedItems.Count}.");
                for (int i = 0; i < expectedItems.Count; i++)
                {
                    AssertSameValue(expectedItems[i], actualItems[i], $"{where}[{i}]");
                }

                break;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number:
                double want = value.GetValue<double>();
                double got = actual!.GetValue<double>();
                Assert.True(Math.Abs(want - got) <= Tolerance * Math.Max(1, Math.Abs(want)), $"{where}: {got:R}, expected {want:R}.");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{where}: {actual?.ToJsonString()}, expected {expected?.ToJsonString()}.");
                break;
        }
    }
}
