using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Hub;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Tuners.Adapters;
using Microsoft.ML.Peft.Tuners.IA3;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>
/// <see cref="BaseModelStorage.Reference"/>: a saved model that holds only what training changed and refers to its
/// base model by path or Hub id, rebuilt at load with the same scores, and refused when the base has changed.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class BaseModelByReferenceTests : IDisposable
{
    private readonly MLContext _mlContext = new(seed: 1);
    private readonly TemporaryFolder _folder = new();
    private readonly IDataView _keyed;

    public BaseModelByReferenceTests()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(48, seed: 103));
        _keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AModelSavedByReferenceIsSmallAndLoadsInThisAndAnotherProcessWithTheScoresOfTheEmbeddedOne()
    {
        string baseFolder = _folder.File("tiny-bert");
        WriteBertFolder(baseFolder, seed: 3);
        using PeftTextClassificationTransformer embedded = Train(baseFolder, BaseModelStorage.Embedded);
        using PeftTextClassificationTransformer referenced = Train(baseFolder, BaseModelStorage.Reference);
        _mlContext.Model.Save(embedded, _keyed.Schema, _folder.File("embedded.zip"));
        _mlContext.Model.Save(referenced, _keyed.Schema, _folder.File("referenced.zip"));

        using var loaded = Assert.IsType<PeftTextClassificationTransformer>(_mlContext.Model.Load(_folder.File("referenced.zip"), out _));

        float[][] expected = Scores(embedded);
        Assert.Equal(expected, Scores(referenced));
        Assert.Equal(expected, Scores(loaded));
        Assert.Equal(BaseModelStorage.Reference, loaded.BaseModelStorage);
        Assert.Equal(Path.GetFullPath(baseFolder), loaded.ReferencedBaseModel);
        Assert.Null(embedded.ReferencedBaseModel);
        Assert.True(loaded.IsAdapterMerged);

        // The referenced zip lacks the network's weights; what it holds instead is far smaller than the base.
        long saved = new FileInfo(_folder.File("embedded.zip")).Length - new FileInfo(_folder.File("referenced.zip")).Length;
        long baseWeights = new FileInfo(Path.Combine(baseFolder, "model.safetensors")).Length;
        Assert.True(saved > 0.7 * baseWeights, $"referencing saved {saved} bytes of a {baseWeights}-byte base");
        Assert.Contains(EntryNames(_folder.File("embedded.zip")), e => e.EndsWith("Weights.safetensors", StringComparison.Ordinal));
        Assert.DoesNotContain(EntryNames(_folder.File("referenced.zip")), e => e.EndsWith("Weights.safetensors", StringComparison.Ordinal));

        // The adapter exported from the loaded model is the trained one, file for file.
        referenced.ExportAdapter(_folder.File("adapter-trained"));
        loaded.ExportAdapter(_folder.File("adapter-loaded"));
        foreach (string file in new[] { "adapter_config.json", "adapter_model.safetensors" })
        {
            Assert.Equal(File.ReadAllBytes(_folder.File($"adapter-trained/{file}")), File.ReadAllBytes(_folder.File($"adapter-loaded/{file}")));
        }

        ModelLoadProbe.Result result = ModelLoadProbe.Run(_folder.File("referenced.zip"), WriteInputs(), "Score");
        Assert.Equal(typeof(PeftTextClassificationTransformer).FullName, result.TransformerType);
        Assert.Equal(expected, result.Rows.Select(r => r.GetProperty("Score").EnumerateArray().Select(e => e.GetSingle()).ToArray()));
    }

    [Fact]
    public void AChangedBaseIsRefusedWithBothHashesAndAMissingOneWithItsPath()
    {
        string baseFolder = _folder.File("tiny-bert");
        WriteBertFolder(baseFolder, seed: 3);
        using (PeftTextClassificationTransformer model = Train(baseFolder, BaseModelStorage.Reference))
        {
            _mlContext.Model.Save(model, _keyed.Schema, _folder.File("referenced.zip"));
        }

        // Same architecture and shapes, other weights: only the hash can tell.
        WriteBertFolder(baseFolder, seed: 4);
        var changed = LoadFailure<BaseModelMismatchException>(_folder.File("referenced.zip"));
        Assert.Contains(Path.GetFullPath(baseFolder), changed.Message);
        Assert.Contains(changed.ExpectedSha256, changed.Message);
        Assert.Contains(changed.ActualSha256, changed.Message);
        Assert.NotEqual(changed.ExpectedSha256, changed.ActualSha256);
        Assert.Matches("^[0-9a-f]{64}$", changed.ExpectedSha256);

        Directory.Delete(baseFolder, recursive: true);
        var missing = LoadFailure<FileNotFoundException>(_folder.File("referenced.zip"));
        Assert.Contains(Path.GetFullPath(baseFolder), missing.Message);
        Assert.Contains("BaseModelStorage.Embedded", missing.Message);
    }

    [Fact]
    public void UnmergedAdaptersOtherMethodsAndBFloat16TrainingComeBackExactly()
    {
        string baseFolder = _folder.File("tiny-bert");
        WriteBertFolder(baseFolder, seed: 3);
        var cases = new (string Name, Action<PeftTextClassificationTrainer.Options> Configure)[]
        {
            ("LoRA kept unmerged", o => o.MergeAdapter = false),
            ("IA3", o => o.Peft = new IA3Config()),
            ("Houlsby adapters (not mergeable, so kept as layers although MergeAdapter is on)", o => o.Peft = new BottleneckAdapterConfig { ReductionFactor = 4 }),
            ("LoRA trained with a bfloat16 base", o => { o.Precision = TrainingPrecision.BFloat16; o.Epochs = 1; }),
        };

        foreach ((string name, Action<PeftTextClassificationTrainer.Options> configure) in cases)
        {
            using PeftTextClassificationTransformer model = Train(baseFolder, BaseModelStorage.Reference, configure);
            string path = _folder.File($"{name}.zip");
            _mlContext.Model.Save(model, _keyed.Schema, path);
            using var loaded = Assert.IsType<PeftTextClassificationTransformer>(_mlContext.Model.Load(path, out _));

            Assert.True(Scores(model).SequenceEqual(Scores(loaded), new ArrayComparer()), name);
            Assert.Equal(model.IsAdapterMerged, loaded.IsAdapterMerged);
            Assert.Equal(name.StartsWith("LoRA trained", StringComparison.Ordinal) || name == "IA3", model.IsAdapterMerged);
        }
    }

    [Fact]
    public void AHubIdIsReferencedAtItsCommitAndLoadsFromTheCacheInAnotherProcess()
    {
        using var hub = new HubTestContext();
        string baseFolder = _folder.File("tiny-bert");
        WriteBertFolder(baseFolder, seed: 3);
        hub.Server.AddRepository(HubTestContext.RepoId).Commit(new Dictionary<string, FakeHubFile>
        {
            ["config.json"] = FakeHubFile.Text(File.ReadAllText(Path.Combine(baseFolder, "config.json"))),
            ["model.safetensors"] = new FakeHubFile(File.ReadAllBytes(Path.Combine(baseFolder, "model.safetensors")), lfs: true),
            ["vocab.txt"] = FakeHubFile.Text(File.ReadAllText(Path.Combine(baseFolder, "vocab.txt"))),
        });
        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options(HubTestContext.RepoId, BaseModelStorage.Reference, o => o.Hub = hub.Client())).Fit(_keyed);
        _mlContext.Model.Save(model, _keyed.Schema, _folder.File("hub.zip"));

        string commit = Path.GetFileName(Directory.GetDirectories(Path.Combine(hub.RepoFolder, "snapshots")).Single());
        Assert.Equal($"{HubTestContext.RepoId}@{commit}", model.ReferencedBaseModel);
        int requests = hub.Server.RequestCount;
        ModelLoadProbe.Result result = ModelLoadProbe.Run(
            _folder.File("hub.zip"),
            WriteInputs(),
            new Dictionary<string, string> { ["HF_HUB_CACHE"] = hub.CacheDirectory, ["HF_HUB_OFFLINE"] = "1", ["HF_ENDPOINT"] = HubTestContext.RefusingEndpoint() },
            "Score");

        Assert.Equal(Scores(model), result.Rows.Select(r => r.GetProperty("Score").EnumerateArray().Select(e => e.GetSingle()).ToArray()));
        Assert.Equal(requests, hub.Server.RequestCount);
    }

    [Fact]
    public void AResNetWithTrainedBatchNormStatisticsComesBackFromItsReferencedCheckpoint()
    {
        string checkpoint = _folder.File("tiny-resnet.safetensors");
        using (ResNet pretrained = TinyImageTask.ResNet())
        {
            SafeTensors.Save(checkpoint, pretrained.state_dict());
        }

        var rows = TinyImageTask.Images(24, seed: 5).Select(i => new ImageBytes { Image = i.Png, Colour = i.Colour }).ToList();
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(ImageBytes.Colour)).Fit(data).Transform(data);
        using ResNet unused = TinyImageTask.ResNet();
        PeftImageClassificationTrainer.Options options = TinyImageTask.Options(unused, configure: o =>
        {
            o.BaseModelInstance = null;
            o.BaseModel = checkpoint;
            o.Epochs = 2;
            o.BaseModelStorage = BaseModelStorage.Reference;
        });
        using PeftImageClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftImageClassification(options).Fit(keyed);
        _mlContext.Model.Save(model, keyed.Schema, _folder.File("resnet.zip"));

        using var loaded = Assert.IsType<PeftImageClassificationTransformer>(_mlContext.Model.Load(_folder.File("resnet.zip"), out _));

        Assert.Equal(checkpoint, loaded.ReferencedBaseModel);
        Assert.Equal(model.Transform(keyed).GetColumn<float[]>("Score").ToArray(), loaded.Transform(keyed).GetColumn<float[]>("Score").ToArray());
    }

    [Fact]
    public void ReferenceNeedsAPeftMethodAndABaseModelGivenByPathOrHubId()
    {
        var fullFineTuning = Assert.Throws<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options(_folder.Path, BaseModelStorage.Reference, o => o.Peft = null)));
        Assert.Contains("full fine-tuning", fullFineTuning.Message);

        using var instance = Bert(seed: 3);
        var inMemory = Assert.Throws<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            TinyTextTask.Options<PeftTextClassificationTrainer.Options>(instance, o => o.BaseModelStorage = BaseModelStorage.Reference)));
        Assert.Contains("BaseModelInstance", inMemory.Message);
    }

    /// <summary>The exception loading <paramref name="zip"/> fails with (ML.NET calls loaders by reflection, so it arrives wrapped).</summary>
    private T LoadFailure<T>(string zip)
        where T : Exception
    {
        var wrapped = Assert.Throws<System.Reflection.TargetInvocationException>(() => _mlContext.Model.Load(zip, out _));
        return Assert.IsType<T>(wrapped.InnerException);
    }

    private static IEnumerable<string> EntryNames(string zip)
    {
        using ZipArchive archive = ZipFile.OpenRead(zip);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    private PeftTextClassificationTrainer.Options Options(string baseModel, BaseModelStorage storage, Action<PeftTextClassificationTrainer.Options>? configure = null)
    {
        PeftTextClassificationTrainer.Options options = TinyTextTask.Options<PeftTextClassificationTrainer.Options>(null!, o =>
        {
            o.BaseModelInstance = null;
            o.Tokenizer = null;
            o.BaseModel = baseModel;
            o.BaseModelStorage = storage;
            o.Epochs = 2;
        });
        configure?.Invoke(options);
        return options;
    }

    private PeftTextClassificationTransformer Train(string baseModel, BaseModelStorage storage, Action<PeftTextClassificationTrainer.Options>? configure = null) =>
        _mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options(baseModel, storage, configure)).Fit(_keyed);

    private float[][] Scores(ITransformer model) => model.Transform(_keyed).GetColumn<float[]>("Score").ToArray();

    private string WriteInputs()
    {
        string path = _folder.File("inputs.tsv");
        File.WriteAllLines(path, new[] { "Text" }.Concat(_keyed.GetColumn<string>(nameof(Review.Text))));
        return path;
    }

    private sealed class ArrayComparer : IEqualityComparer<float[]>
    {
        public bool Equals(float[]? x, float[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(float[] obj) => obj.Length;
    }

    private sealed class ImageBytes
    {
        public byte[] Image { get; set; } = [];

        public string Colour { get; set; } = "";
    }
}
