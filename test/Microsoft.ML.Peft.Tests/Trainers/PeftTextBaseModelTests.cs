using Microsoft.ML.Data;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Hub;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Tests.Text;
using Microsoft.ML.Peft.Tests.Training;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Metrics;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>Where the base model comes from (a Hugging Face folder or file, a RoBERTa instance) and the training settings that reach the engine.</summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PeftTextBaseModelTests
{
    private readonly MLContext _mlContext = new(seed: 1);

    [Fact]
    public void AHubIdIsABaseModelDownloadedThroughTheGivenClientAndCached()
    {
        using var hub = new HubTestContext();
        using var folder = new TemporaryFolder();
        using (var pretrained = Bert(seed: 3))
        {
            SafeTensors.Save(folder.File("model.safetensors"), pretrained.state_dict());
            hub.Server.AddRepository(HubTestContext.RepoId).Commit(new Dictionary<string, FakeHubFile>
            {
                ["config.json"] = FakeHubFile.Text(pretrained.Config.ToJson()),
                ["model.safetensors"] = new FakeHubFile(File.ReadAllBytes(folder.File("model.safetensors")), lfs: true),
                ["vocab.txt"] = FakeHubFile.Text(string.Join('\n', Enumerable.Range(0, Tokenizer.VocabularySize).Select(i => Tokenizer.MapIdToToken(i)!))),
            });
        }

        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(48, seed: 102));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        PeftTextClassificationTrainer.Options Options() => new() { BaseModel = HubTestContext.RepoId, Hub = hub.Client(), Epochs = 1, Seed = 1, Threads = 2 };

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options()).Fit(keyed);
        int requests = hub.Server.RequestCount;
        using PeftTextClassificationTransformer again = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(Options()).Fit(keyed);

        Assert.True(requests > 0, "the first Fit downloads the model");
        Assert.True(Directory.Exists(hub.RepoFolder), "into the Hub cache layout");
        Assert.Equal(Tokenizer.EncodeToIds("the movie was great"), Assert.IsType<BertTextTokenizer>(model.Tokenizer).EncodeToIds("the movie was great"));
        Assert.Equal(model.Transform(keyed).GetColumn<float[]>("Score").ToArray(), again.Transform(keyed).GetColumn<float[]>("Score").ToArray());
        Assert.True(hub.Server.Requests.Skip(requests).All(r => r.Method != "GET" || !r.IsFor("model.safetensors")), "the second Fit reads the weights from the cache");
    }

    [Fact]
    public void AHuggingFaceFolderOrSafetensorsFileIsABaseModelWithItsTokenizerAndAnyHeadIsReplaced()
    {
        using var folder = new TemporaryFolder();
        WriteBertFolder(folder.Path, seed: 3, numLabels: 2); // a head for two labels; the task has three
        IDataView data = _mlContext.Data.LoadFromEnumerable(Rows(48, seed: 101));
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        var log = new List<string>();

        foreach (string baseModel in new[] { folder.Path, folder.File("model.safetensors") })
        {
            using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
                new PeftTextClassificationTrainer.Options { BaseModel = baseModel, Epochs = 1, Seed = 1, Threads = 2, Log = log.Add }).Fit(keyed);

            Assert.Equal(3, model.ClassCount);
            var tokenizer = Assert.IsType<BertTextTokenizer>(model.Tokenizer);
            Assert.Equal(Tokenizer.EncodeToIds("the movie was great"), tokenizer.EncodeToIds("the movie was great"));
            Assert.Contains(log, l => l.Contains("'classifier.weight' has shape [2, 32]", StringComparison.Ordinal));
            Assert.Equal(32, model.MaxSequenceLength); // the tokenizer allows 512, the model has 32 positions
            model.ExportAdapter(folder.File("adapter"));
            Assert.Contains($"\"base_model_name_or_path\": \"{baseModel}\"", File.ReadAllText(folder.File("adapter/adapter_config.json")));
        }

        var notThere = Assert.Throws<DirectoryNotFoundException>(() => _mlContext.MulticlassClassification.Trainers
            .PeftTextClassification(folder.File("missing-model")).Fit(keyed));
        Assert.Contains("missing-model", notThere.Message);
        Assert.Throws<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(new PeftTextClassificationTrainer.Options()));
    }

    [Fact]
    public void ARobertaModelTrainsAndComesBackFromSavingWithItsByteLevelTokenizer()
    {
        var vocabulary = new ByteLevelTestVocabulary();
        RobertaTextTokenizer tokenizer = RobertaTextTokenizer.FromStreams(vocabulary.VocabStream(), ByteLevelTestVocabulary.MergesStream());
        using (manual_seed(4))
        {
        }

        using var baseModel = new RobertaForSequenceClassification(new RobertaConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
            MaxPositionEmbeddings = 40, TypeVocabSize = 1, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, NumLabels = 3,
        });
        var rows = new[] { "Hello world", "olé", "great", "awful", "Hello", "ok" }
            .Select((t, i) => new Review { Text = t, Sentiment = Classes[i % 3] }).ToArray();
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        IDataView keyed = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(data).Transform(data);
        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(new PeftTextClassificationTrainer.Options
        {
            BaseModelInstance = baseModel, Tokenizer = tokenizer, Epochs = 1, BatchSize = 4, Seed = 1, Threads = 2, LearningRate = 1e-2,
        }).Fit(keyed);
        Assert.Equal(38, model.MaxSequenceLength); // RoBERTa counts positions from the padding id (1) on

        using var folder = new TemporaryFolder();
        _mlContext.Model.Save(model, keyed.Schema, folder.File("roberta.zip"));
        using var loaded = Assert.IsType<PeftTextClassificationTransformer>(_mlContext.Model.Load(folder.File("roberta.zip"), out _));

        Assert.IsType<RobertaTextTokenizer>(loaded.Tokenizer);
        Assert.Equal(tokenizer.EncodeToIds("Hello world"), loaded.Tokenizer.EncodeToIds("Hello world"));
        Assert.Equal(model.Transform(keyed).GetColumn<float[]>("Score"), loaded.Transform(keyed).GetColumn<float[]>("Score"));
    }

    [Fact]
    public void AValidationSetEarlyStoppingProgressAndCancellationReachTheEngine()
    {
        using var baseModel = Bert(seed: 3);
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(_mlContext.Data.LoadFromEnumerable(Rows(30, seed: 1)));
        IDataView train = keys.Transform(_mlContext.Data.LoadFromEnumerable(Rows(64, seed: 111)));
        IDataView validation = keys.Transform(_mlContext.Data.LoadFromEnumerable(Rows(20, seed: 112)));
        var reports = new List<TrainingProgress>();

        using PeftTextClassificationTransformer model = _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o =>
            {
                o.Epochs = 6;
                o.ValidationSet = validation;
                o.SelectionMetric = EvaluationMetric.Accuracy;
                o.EarlyStoppingPatience = 1;
                o.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);
                o.ConfigureTraining = t => t.WarmupSteps = 2;
            })).Fit(train);

        TrainingResult result = model.TrainingResult!;
        Assert.All(result.Epochs, e => Assert.Equal(20, e.Validation!.Rows));
        Assert.NotNull(result.BestEpoch);
        Assert.Equal(result.Steps, reports.Count);
        Assert.Equal(4 * result.Epochs.Count, result.Steps); // 64 rows in batches of 16
        Assert.True(result.StopReason == StopReason.EarlyStopped || result.Epochs.Count == 6);
        Assert.Equal((0.0, 0.03 / 2, 0.03), (reports[0].LearningRate, Math.Round(reports[1].LearningRate, 12), Math.Round(reports[2].LearningRate, 12))); // two warmup steps

        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Assert.Throws<TrainingCanceledException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => o.CancellationToken = canceled.Token)).Fit(train));
        Assert.Throws<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => o.EarlyStoppingPatience = 2)));
    }

    [Fact]
    public void AValidationSetKeyedByAnotherMapValueToKeyIsRefusedNamingBothClassLists()
    {
        using var baseModel = Bert(seed: 3);
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment));
        IDataView train = keys.Fit(_mlContext.Data.LoadFromEnumerable(Rows(30, seed: 1))).Transform(_mlContext.Data.LoadFromEnumerable(Rows(30, seed: 1)));
        // Fitted on other rows, this key mapping numbers the classes in another order of first appearance.
        List<Review> otherRows = Rows(20, seed: 112).OrderBy(r => r.Sentiment, StringComparer.Ordinal).ToList();
        IDataView otherData = _mlContext.Data.LoadFromEnumerable(otherRows);
        IDataView validation = keys.Fit(otherData).Transform(otherData);
        var trainNames = LabelNames(train);
        var validationNames = LabelNames(validation);
        Assert.NotEqual(trainNames, validationNames);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.ValidationSet = validation; })).Fit(train));
        Assert.Contains("validation set's label column 'Label'", error.Message, StringComparison.Ordinal);
        Assert.Contains(string.Join(", ", trainNames), error.Message, StringComparison.Ordinal);
        Assert.Contains(string.Join(", ", validationNames), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValidationSetLeftWithoutRowsIsRefusedNamingTheOption()
    {
        using var baseModel = Bert(seed: 3);
        var keys = _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment)).Fit(_mlContext.Data.LoadFromEnumerable(Rows(30, seed: 1)));
        IDataView train = keys.Transform(_mlContext.Data.LoadFromEnumerable(Rows(30, seed: 1)));
        // Classes the keys never saw map to the missing key, and rows with a missing label are skipped, as ML.NET's trainers do.
        IDataView validation = keys.Transform(_mlContext.Data.LoadFromEnumerable(Rows(5, seed: 2).Select(r => new Review { Text = r.Text, Sentiment = "unheard-of" })));

        var error = Assert.Throws<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.PeftTextClassification(
            Options<PeftTextClassificationTrainer.Options>(baseModel, o => { o.Epochs = 1; o.ValidationSet = validation; })).Fit(train));
        Assert.Equal("ValidationSet", error.ParamName);
        Assert.Contains("label 'Label' is missing", error.Message, StringComparison.Ordinal);
    }

    private static string[] LabelNames(IDataView data)
    {
        VBuffer<ReadOnlyMemory<char>> values = default;
        data.Schema["Label"].GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }
}
