using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Tests.Models.Bert;
using Microsoft.ML.Peft.Tests.Models.ResNets;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.PeftModels;

/// <summary>
/// LoRA end to end on the library's real models (not stand-ins): the adapter is in the forward path, the default
/// targets are the documented ones, merging and unmerging hold, and adapter files round-trip through safetensors.
/// </summary>
public sealed class RealModelLoraTests
{
    [Fact]
    public void BertClassifierWithLoraOnQueryAndValue()
    {
        BertConfig config = ModelTestData.TinyBert(numLabels: 3);
        using var model = new BertForSequenceClassification(config);
        ModelTestData.Randomize(model, seed: 71);
        var baseState = ModelTestData.StateDict(model);
        ModelTestData.Batch batch = ModelTestData.PaddedBatch(padId: 0);
        Func<nn.Module, Tensor> run = m => ((BertForSequenceClassification)m).Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());

        AssertLoraEndToEnd(
            model,
            () =>
            {
                var fresh = new BertForSequenceClassification(config);
                Load(fresh, baseState);
                return fresh;
            },
            new LoraConfig { TaskType = TaskType.SeqCls, R = 4, LoraAlpha = 8, InitLoraWeights = LoraInitialization.Random },
            run,
            expectedTargets: ["query", "value"],
            head: "classifier");
    }

    [Fact]
    public void ResNetWithLoraOnTheDefaultConvolutions()
    {
        var config = new ResNetConfig { BlockType = ResNetBlockType.Basic, BlocksPerStage = [1, 1, 1, 1], StageWidths = [4, 8, 8, 8], StemWidth = 8, NumClasses = 5 };
        using var model = new ResNetModel(config);
        ResNetTestWeights.Randomize(model, seed: 72);
        var baseState = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using Tensor images = torch.tensor(ResNetTestWeights.Input([2, 3, 32, 32], seed: 73), [2, 3, 32, 32]);

        AssertLoraEndToEnd(
            model,
            () =>
            {
                var fresh = new ResNetModel(config);
                Load(fresh, baseState);
                return fresh;
            },
            new LoraConfig { R = 2, LoraAlpha = 4, InitLoraWeights = LoraInitialization.Random },
            m => ((ResNetModel)m).forward(images),
            expectedTargets: ["conv1", "conv2"],
            head: "fc");
    }

    [Fact]
    public void AdaptersAddedToAnEvalModeModelStayInEvalMode()
    {
        using var model = new BertForSequenceClassification(ModelTestData.TinyBert(numLabels: 2));
        ModelTestData.Randomize(model, seed: 75);
        model.eval();
        Assert.All(model.modules(), m => Assert.False(m.training, $"before: {m.GetName()} is in training mode"));
        using var peft = PeftModel.Create(model, new LoraConfig { R = 4, LoraDropout = 0.5, InitLoraWeights = LoraInitialization.Random });

        Assert.All(peft.modules(), m => Assert.False(m.training, $"{m.GetName()} is in training mode"));
        ModelTestData.Batch batch = ModelTestData.PaddedBatch(padId: 0);
        using var noGrad = no_grad();
        using Tensor first = model.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        using Tensor second = model.Forward(batch.IdsTensor(), batch.MaskTensor(), batch.TokenTypesTensor());
        Assert.True(first.eq(second).all().item<bool>(), "LoRA dropout is active in an eval-mode model.");
    }

    private static void AssertLoraEndToEnd<TModel>(
        TModel model, Func<TModel> freshBase, LoraConfig config, Func<nn.Module, Tensor> run, string[] expectedTargets, string head)
        where TModel : nn.Module
    {
        using var folder = new TemporaryFolder();
        model.eval();
        using var noGrad = no_grad();
        using Tensor before = run(model).detach().clone();

        torch.manual_seed(74);
        using var peft = PeftModel.Create(model, config);
        peft.eval();
        using Tensor adapted = run(model).detach().clone();
        Assert.False(adapted.allclose(before, rtol: 0, atol: 1e-6), "The LoRA layers are not in the forward path.");

        var loraModules = peft.named_parameters().Select(p => p.name).Where(n => n.Contains(".lora_A.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(loraModules);
        Assert.All(loraModules, n => Assert.Contains(expectedTargets, t => n.Contains($".{t}.lora_A.", StringComparison.Ordinal)));
        Assert.All(peft.TrainableParameters(), p => Assert.True(p.requires_grad));
        Assert.Contains(peft.named_parameters(), p => p.name.StartsWith($"base_model.model.{head}.", StringComparison.Ordinal) && p.parameter.requires_grad);

        using (peft.DisableAdapter())
        {
            using Tensor disabled = run(model);
            Assert.True(disabled.allclose(before, rtol: 0, atol: 1e-6), "DisableAdapter does not give the base model's output.");
        }

        peft.Merge();
        using (Tensor merged = run(model))
        {
            Assert.True(merged.allclose(adapted, rtol: 1e-5, atol: 1e-5), "Merged output differs from unmerged.");
        }

        peft.Unmerge();
        using (Tensor unmerged = run(model))
        {
            Assert.True(unmerged.allclose(adapted, rtol: 1e-5, atol: 1e-5), "Unmerging did not restore the unmerged output.");
        }

        peft.SavePretrained(folder.Path);
        Assert.True(File.Exists(Path.Combine(folder.Path, "adapter_config.json")));
        using var reloaded = PeftModel.FromPretrained(freshBase(), folder.Path);
        reloaded.eval();
        using Tensor again = run(reloaded.Model);
        Assert.True(again.allclose(adapted, rtol: 1e-6, atol: 1e-6), "An adapter reloaded from its files gives other outputs.");
    }

    private static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (key, value) in model.state_dict())
        {
            value.copy_(state[key]);
        }
    }
}
