using Microsoft.ML.Peft.Models.Roberta;
using static Microsoft.ML.Peft.Tests.Models.Bert.ModelTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>
/// <c>FromPretrained(folder)</c> for RoBERTa on folders written here (config.json + model.safetensors).
/// </summary>
public sealed class RobertaFromPretrainedFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peft-roberta-folder-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ClassifierFolderReproducesTheReference()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var original = new RobertaForSequenceClassification(config);
        Randomize(original, seed: 61);
        WritePretrainedFolder(_folder, config.ToJson(), StateDict(original));

        using var loaded = RobertaForSequenceClassification.FromPretrained(_folder);

        Assert.Empty(loaded.LoadResult!.MissingKeys);
        loaded.eval();
        Batch batch = RobertaTestData.PaddedBatch();
        using var scope = NewDisposeScope();
        Tensor logits = loaded.Forward(batch.IdsTensor(), batch.MaskTensor());
        AssertClose(RobertaTestData.ReferenceLogits(StateDict(original), config, batch), ToDoubles(logits), 2e-5, "logits");
    }

    [Fact]
    public void EncoderLoadsFromAFolder()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta();
        using var encoder = new RobertaModel(config);
        Randomize(encoder, seed: 62);
        WritePretrainedFolder(_folder, config.ToJson(), StateDict(encoder));

        using var loaded = RobertaModel.FromPretrained(_folder);

        Assert.Empty(loaded.LoadResult!.MissingKeys);
        Assert.Empty(loaded.LoadResult.UnexpectedKeys);
    }
}
