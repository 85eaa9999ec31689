using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using TorchSharp;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary><c>ResNet.FromPretrained(path)</c> on safetensors files and folders written here, including half-precision storage.</summary>
public sealed class ResNetFromPretrainedFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("peft-resnet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("file", false)]
    [InlineData("folder", false)]
    [InlineData("file", true)]
    public void LoadsASafetensorsCheckpointFromDisk(string layout, bool storeAsFloat16)
    {
        var config = new ResNetConfig { BlockType = ResNetBlockType.Bottleneck, BlocksPerStage = [1, 2, 1, 1], StageWidths = [4, 8, 8, 16], StemWidth = 8, NumClasses = 5 };
        using var original = new ResNetModel(config);
        ResNetTestWeights.Randomize(original, seed: 11);
        Dictionary<string, Tensor> state = original.state_dict();
        if (storeAsFloat16)
        {
            // Round the original's weights through fp16 so both models hold identical values.
            using (no_grad())
            {
                foreach (Tensor t in state.Values.Where(t => t.dtype == float32))
                {
                    t.copy_(t.to(float16).to(float32));
                }
            }
        }

        var stored = state.ToDictionary(kv => kv.Key, kv => storeAsFloat16 && kv.Value.dtype == float32 ? kv.Value.to(float16) : kv.Value);
        string path = layout == "file" ? Path.Combine(_dir, "resnet.safetensors") : _dir;
        SafeTensors.Save(layout == "file" ? path : Path.Combine(_dir, CheckpointFiles.SingleFileName), stored);

        using ResNetModel loaded = ResNetModel.FromPretrained(path);

        Assert.Equal(config, loaded.Config);
        Assert.All(loaded.parameters(), p => Assert.Equal(float32, p.dtype));
        original.eval();
        loaded.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor images = torch.tensor(ResNetTestWeights.Input([2, 3, 40, 40], seed: 12), [2, 3, 40, 40]);
        Assert.True(ResNetTestWeights.SameValues(original.forward(images), loaded.forward(images)));
    }
}
