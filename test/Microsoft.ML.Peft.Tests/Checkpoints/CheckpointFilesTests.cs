using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Checkpoints;

/// <summary><see cref="CheckpointFiles.Open"/> finds the weights in a file or a Hugging Face folder.</summary>
public sealed class CheckpointFilesTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SafetensorsFileOpensDirectly()
    {
        string path = SaveOne("weights.safetensors", 3);
        using ITensorSource source = CheckpointFiles.Open(path);
        Assert.IsType<SafeTensorsFile>(source);
        Assert.Equal(path, source.Description);
        Assert.Equal(new long[] { 3 }, source.GetShape("w"));
    }

    [Fact]
    public void FolderWithModelSafetensorsOpensThatFile()
    {
        string path = SaveOne(CheckpointFiles.SingleFileName, 2);
        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        Assert.Equal(path, source.Description);
    }

    [Fact]
    public void SingleFileIsPreferredOverAShardIndex()
    {
        string path = SaveOne(CheckpointFiles.SingleFileName, 2);
        File.WriteAllText(_folder.File(CheckpointFiles.ShardIndexFileName), "not even JSON");
        using ITensorSource source = CheckpointFiles.Open(_folder.Path);
        Assert.Equal(path, source.Description);
    }

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("pytorch_model.bin.index.json")]
    public void FolderWithOnlyPickleWeightsIsNotSupported(string pickle)
    {
        File.WriteAllBytes(_folder.File(pickle), [0x80, 0x02]);
        var error = Assert.Throws<NotSupportedException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Contains(_folder.File(pickle), error.Message);
        Assert.Contains("not supported", error.Message);
        Assert.Contains("Convert the checkpoint to safetensors", error.Message);
    }

    [Fact]
    public void PickleFilePathIsNotSupported()
    {
        string path = _folder.File("adapter.pt");
        File.WriteAllBytes(path, [0x80, 0x02]);
        var error = Assert.Throws<NotSupportedException>(() => CheckpointFiles.Open(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void MissingPathIsReportedByName()
    {
        string path = _folder.File("nowhere");
        var error = Assert.Throws<FileNotFoundException>(() => CheckpointFiles.Open(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void FolderWithoutWeightsSaysWhatItLookedFor()
    {
        File.WriteAllText(_folder.File("config.json"), "{}");
        var error = Assert.Throws<FileNotFoundException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Contains(_folder.Path, error.Message);
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("model.safetensors.index.json", error.Message);
    }

    [Fact]
    public void FolderWithOtherSafetensorsFilesNamesThem()
    {
        SaveOne("adapter_model.safetensors", 1);
        var error = Assert.Throws<FileNotFoundException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Contains("adapter_model.safetensors", error.Message);
        Assert.Contains("pass the path", error.Message);
    }

    [Fact]
    public void MalformedFileSurfacesTheFormatError()
    {
        string path = _folder.File(CheckpointFiles.SingleFileName);
        File.WriteAllBytes(path, [1, 2]);
        var error = Assert.Throws<SafeTensorsFormatException>(() => CheckpointFiles.Open(_folder.Path));
        Assert.Equal(path, error.FilePath);
    }

    private string SaveOne(string name, long length)
    {
        string path = _folder.File(name);
        using Tensor w = torch.ones(length);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = w });
        return path;
    }
}
