using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Testing;
using Microsoft.ML.Peft.Tests.Hub;
using Microsoft.ML.Peft.Tests.Trainers;
using Microsoft.ML.Peft.Trainers;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;

namespace Microsoft.ML.Peft.Tests.StoredModels;

/// <summary>
/// The stored models: one small zip per trainer kind, written by <see cref="Write"/> with the code of the day and
/// committed under <c>StoredModels/v1</c>, <c>v2</c>, … (one folder per format version) with the inputs they were scored on and what they predicted
/// (<c>expected.json</c>). Later versions must keep loading them and predicting the same
/// (<see cref="StoredModelCompatibilityTests"/>).
/// </summary>
internal static class StoredModelFixtures
{
    /// <summary>The name of the file that lists the stored models, their inputs and their outputs.</summary>
    public const string ExpectedFileName = "expected.json";

    /// <summary>
    /// The folder (in a version folder from <c>v2</c> on) with the files of the Hub model the referenced stored model was
    /// trained on: the compatibility test puts them into a Hugging Face cache at the recorded commit.
    /// </summary>
    public const string BaseModelFolderName = "base-model";

    /// <summary>The format-version folders of committed stored models (<c>v1</c>: 0x00010001; <c>v2</c>: 0x00010002, with base-model storage).</summary>
    public static IReadOnlyList<string> Versions { get; } = ["v1", "v2"];

    /// <summary>The folder of the stored models of <paramref name="version"/>, as copied next to the test assembly.</summary>
    public static string CommittedFolder(string version) => Path.Combine(AppContext.BaseDirectory, "StoredModels", version);

    /// <summary>The rows a stored text model is scored on (the last one empty: an empty text has a documented score).</summary>
    public sealed class TextRow
    {
        public string Text { get; set; } = "";

        public string Sentiment { get; set; } = "";
    }

    /// <summary>The rows a stored image model is scored on: encoded bytes, as <c>LoadRawImageBytes</c> gives them.</summary>
    public sealed class ImageRow
    {
        [VectorType]
        public byte[] Image { get; set; } = [];

        public string Colour { get; set; } = "";
    }

    /// <summary>Trains the stored models, saves them into <paramref name="folder"/> with their inputs, and writes <see cref="ExpectedFileName"/>.</summary>
    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var mlContext = new MLContext(seed: 1);
        List<TextRow> texts = Rows(8, seed: 21).Select(r => new TextRow { Text = r.Text, Sentiment = r.Sentiment }).Append(new TextRow { Text = "", Sentiment = "neutral" }).ToList();
        IDataView textInputs = mlContext.Data.LoadFromEnumerable(texts);
        List<Review> trainRows = Rows(240, seed: 11);
        IDataView train = mlContext.Data.LoadFromEnumerable(trainRows);
        var models = new JsonArray();

        using (var baseModel = Bert(seed: 3))
        {
            var multiclass = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
                .Append(mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel)))
                .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedSentiment", "PredictedLabel"))
                .Fit(train);
            models.Add(Save(mlContext, multiclass, train.Schema, folder, "text-multiclass.zip", "text", textInputs, "Score", "PredictedLabel", "PredictedSentiment"));

            var unmerged = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
                .Append(mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(baseModel, o => o.MergeAdapter = false)))
                .Fit(train);
            models.Add(Save(mlContext, unmerged, train.Schema, folder, "text-multiclass-unmerged.zip", "text", textInputs, "Score", "PredictedLabel"));
        }

        models.Add(WriteReferencedModel(mlContext, train, textInputs, folder));

        using (var baseModel = Bert(seed: 4, numLabels: 2))
        {
            var binary = mlContext.BinaryClassification.Trainers.PeftTextClassification(
                Options<PeftBinaryTextClassificationTrainer.Options>(baseModel, o => o.LabelColumnName = nameof(Review.IsPositive))).Fit(train);
            models.Add(Save(mlContext, binary, train.Schema, folder, "text-binary.zip", "text", textInputs, "Score", "Probability", "PredictedLabel"));
        }

        using (var baseModel = Bert(seed: 5, numLabels: 1))
        {
            var regression = mlContext.Regression.Trainers.PeftTextRegression(
                Options<PeftTextRegressionTrainer.Options>(baseModel, o => o.LabelColumnName = nameof(Review.Rating))).Fit(train);
            models.Add(Save(mlContext, regression, train.Schema, folder, "text-regression.zip", "text", textInputs, "Score"));
        }

        string imageFolder = Path.Combine(folder, "images");
        Directory.CreateDirectory(imageFolder);
        List<(string Name, TinyImageTask.Image Image)> images = TinyImageTask.Images(9, seed: 31).Select((image, i) => ($"{image.Colour}-{i}.png", image)).ToList();
        foreach ((string name, TinyImageTask.Image image) in images)
        {
            File.WriteAllBytes(Path.Combine(imageFolder, name), image.Png);
        }

        IDataView imageTrain = mlContext.Data.LoadFromEnumerable(TinyImageTask.Images(48, seed: 5).Select(i => new ImageRow { Image = i.Png, Colour = i.Colour }));
        IDataView imageInputs = mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = i.Image.Png, Colour = i.Image.Colour }));
        using (var baseModel = TinyImageTask.ResNet())
        {
            var image = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageRow.Colour))
                .Append(mlContext.MulticlassClassification.Trainers.PeftImageClassification(TinyImageTask.Options(baseModel)))
                .Fit(imageTrain);
            models.Add(Save(mlContext, image, imageTrain.Schema, folder, "image-multiclass.zip", "image", imageInputs, "Score", "PredictedLabel"));
        }

        var expected = new JsonObject
        {
            ["about"] = "Models saved by Microsoft.ML.Peft with the trainer format versions of this folder, the rows they were scored on, and what they predicted. Written by StoredModelFixtures.Write; never edit by hand.",
            ["texts"] = new JsonArray(texts.Select(t => (JsonNode)new JsonObject { ["Text"] = t.Text, ["Sentiment"] = t.Sentiment }).ToArray()),
            ["images"] = new JsonArray(images.Select(i => (JsonNode)new JsonObject { ["File"] = "images/" + i.Name, ["Colour"] = i.Image.Colour }).ToArray()),
            ["models"] = models,
        };
        File.WriteAllText(Path.Combine(folder, ExpectedFileName), expected.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// A multiclass text model trained on a Hub model (served by a loopback Hub) and saved with
    /// <see cref="BaseModelStorage.Reference"/>: the zip refers to <c>tiny-org/tiny-bert@{commit}</c>, whose files go to
    /// <see cref="BaseModelFolderName"/>; the entry records the repository and commit under <c>base_model</c>.
    /// </summary>
    private static JsonObject WriteReferencedModel(MLContext mlContext, IDataView train, IDataView textInputs, string folder)
    {
        string baseFolder = Path.Combine(folder, BaseModelFolderName);
        WriteBertFolder(baseFolder, seed: 3);
        using var hub = new HubTestContext();
        string commit = hub.Server.AddRepository(HubTestContext.RepoId).Commit(Directory.GetFiles(baseFolder).ToDictionary(
            path => Path.GetFileName(path),
            path => path.EndsWith(".safetensors", StringComparison.Ordinal) ? new FakeHubFile(File.ReadAllBytes(path), lfs: true) : FakeHubFile.Text(File.ReadAllText(path))));
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(null!, o =>
            {
                o.BaseModelInstance = null;
                o.Tokenizer = null;
                o.BaseModel = HubTestContext.RepoId;
                o.Hub = hub.Client();
                o.BaseModelStorage = BaseModelStorage.Reference;
            })))
            .Fit(train);
        JsonObject entry = Save(mlContext, model, train.Schema, folder, "text-multiclass-referenced.zip", "text", textInputs, "Score", "PredictedLabel");
        entry["base_model"] = new JsonObject { ["repo_id"] = HubTestContext.RepoId, ["commit"] = commit, ["folder"] = BaseModelFolderName };
        return entry;
    }

    /// <summary>The rows of <paramref name="kind"/> ("text" or "image") listed in <paramref name="expected"/>, with the images read from <paramref name="folder"/>.</summary>
    public static IDataView Inputs(MLContext mlContext, JsonObject expected, string kind, string folder) => kind switch
    {
        "text" => mlContext.Data.LoadFromEnumerable(expected["texts"]!.AsArray().Select(t => new TextRow { Text = (string)t!["Text"]!, Sentiment = (string)t["Sentiment"]! }).ToList()),
        "image" => mlContext.Data.LoadFromEnumerable(expected["images"]!.AsArray().Select(i => new ImageRow { Image = File.ReadAllBytes(Path.Combine(folder, (string)i!["File"]!)), Colour = (string)i["Colour"]! }).ToList()),
        _ => throw new ArgumentException($"Unknown input kind '{kind}'.", nameof(kind)),
    };

    /// <summary>The named output columns of <paramref name="scored"/>, one JSON object per row, as <see cref="Write"/> stores them.</summary>
    public static JsonArray Outputs(IDataView scored, IReadOnlyList<string> columns) =>
        new(OutputRows.Read(scored, columns).Select(row => JsonSerializer.SerializeToNode(row)).ToArray());

    /// <summary>The transformers of <paramref name="model"/>: those of a chain, or the model itself.</summary>
    public static ITransformer[] Parts(ITransformer model) => model is IEnumerable<ITransformer> chain ? chain.ToArray() : [model];

    /// <summary>The rows of <paramref name="kind"/> written as a tab-separated file with a header, every column as text, for the model-load probe.</summary>
    public static void WriteInputsTsv(JsonObject expected, string kind, string path)
    {
        JsonArray rows = kind == "text" ? expected["texts"]!.AsArray() : throw new ArgumentException($"Only text inputs go through the probe, not '{kind}'.", nameof(kind));
        File.WriteAllLines(path, new[] { "Text\tSentiment" }.Concat(rows.Select(r => $"{(string)r!["Text"]!}\t{(string)r["Sentiment"]!}")));
    }

    private static JsonObject Save(MLContext mlContext, ITransformer model, DataViewSchema schema, string folder, string file, string kind, IDataView inputs, params string[] columns)
    {
        mlContext.Model.Save(model, schema, Path.Combine(folder, file));
        ITransformer[] parts = Parts(model);
        return new JsonObject
        {
            ["file"] = file,
            ["inputs"] = kind,
            ["transformer"] = parts.Single(p => p is PeftTransformer).GetType().FullName,
            ["last_transformer"] = parts[^1].GetType().FullName,
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode)c).ToArray()),
            ["rows"] = Outputs(model.Transform(inputs), columns),
        };
    }
}
