using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>
/// <c>FromPretrained(folder)</c> on Hugging Face-layout folders written here (config.json + model.safetensors), and
/// <c>FromPretrained(file)</c> on a single safetensors file with config.json beside it.
/// </summary>
public sealed class BertFromPretrainedFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peft-bert-folder-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ClassifierFolderRoundTrips()
    {
        BertConfig config = TinyBert(numLabels: 3);
        using var original = new BertForSequenceClassification(config);
        Randomize(original, seed: 51);
        WritePretrainedFolder(_folder, config.ToJson(), StateDict(original));

        using var loaded = BertForSequenceClassification.FromPretrained(_folder);

        Assert.Empty(loaded.LoadResult!.MissingKeys);
        Assert.Empty(loaded.LoadResult.UnexpectedKeys);
        Assert.Equal(3, loaded.NumLabels);
        Batch batch = PaddedBatch(padId: 0);
        using var scope = NewDisposeScope();
        original.eval();
        loaded.eval();
        Tensor expected = original.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        Tensor actual = loaded.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        Assert.True(Identical(expected, actual));
    }

    [Fact]
    public void SingleSafetensorsFileWithConfigBesideItLoads()
    {
        BertConfig config = TinyBert(numLabels: 2);
        using var original = new BertForSequenceClassification(config);
        Randomize(original, seed: 53);
        File.WriteAllText(Path.Combine(_folder, "config.json"), config.ToJson());
        string weights = Path.Combine(_folder, "fine-tuned.safetensors");
        SafeTensors.Save(weights, StateDict(original));

        using var loaded = BertForSequenceClassification.FromPretrained(weights);

        Batch batch = PaddedBatch(padId: 0);
        using var scope = NewDisposeScope();
        original.eval();
        loaded.eval();
        Assert.True(Identical(
            original.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor()),
            loaded.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor())));

        File.Delete(Path.Combine(_folder, "config.json"));
        var error = Assert.Throws<FileNotFoundException>(() => BertForSequenceClassification.FromPretrained(weights));
        Assert.Contains("fine-tuned.safetensors", error.Message);
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void HalfPrecisionEncoderFolderLoadsWithANewHeadOfTheConfiguredSize()
    {
        BertConfig config = TinyBert();
        using var encoder = new BertModel(config);
        Randomize(encoder, seed: 52);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> stored = StateDict(encoder).ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float16));
        WritePretrainedFolder(_folder, config.ToJson(), stored);

        using var loaded = BertForSequenceClassification.FromPretrained(_folder, c => c.NumLabels = 5);

        Assert.Equal(5, loaded.NumLabels);
        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.LoadResult!.MissingKeys);
        Assert.True(Identical(
            stored["encoder.layer.0.attention.self.key.weight"].to(ScalarType.Float32),
            loaded.state_dict()["bert.encoder.layer.0.attention.self.key.weight"]));
        Batch batch = PaddedBatch(padId: 0);
        loaded.eval();
        Assert.Equal(new long[] { 3, 5 }, loaded.Forward(batch.IdsTensor(), batch.MaskTensor()).shape);
    }

    [Fact]
    public void EncoderLoadsFromAClassifierFolder()
    {
        BertConfig config = TinyBert();
        using var classifier = new BertForSequenceClassification(config);
        Randomize(classifier, seed: 53);
        WritePretrainedFolder(_folder, config.ToJson(), StateDict(classifier));

        using var encoder = BertModel.FromPretrained(_folder);

        Assert.Empty(encoder.LoadResult!.MissingKeys);
        Assert.Equal(["classifier.bias", "classifier.weight"], encoder.LoadResult.UnexpectedKeys);
    }
}
