using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Models.Bert;
using Microsoft.ML.Peft.Tests.Models.ResNets;
using Microsoft.ML.Peft.Tests.Models.Roberta;
using Microsoft.ML.Peft.Tests.PeftModels.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNetModel = Microsoft.ML.Peft.Models.ResNets.ResNet;

namespace Microsoft.ML.Peft.Tests.Tuners;

/// <summary>
/// The library's real models in tiny sizes for the IA3, bottleneck-adapter and baseline tests: a BERT classifier
/// (hidden 16, 2 layers), a RoBERTa classifier and a ResNet with basic blocks, each with seeded non-trivial weights, an input, and a way to
/// build a fresh copy of the same base.
/// </summary>
internal sealed class RealModel
{
    private readonly Func<nn.Module> _create;
    private readonly Dictionary<string, Tensor> _baseState;

    private RealModel(string name, Func<nn.Module> create, Func<nn.Module, Tensor> run, Action<nn.Module> randomize)
    {
        Name = name;
        _create = create;
        Run = run;
        using nn.Module model = create();
        randomize(model);
        _baseState = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone(), StringComparer.Ordinal);
    }

    public string Name { get; }

    /// <summary>The logits of a model of this kind for the fixed input.</summary>
    public Func<nn.Module, Tensor> Run { get; }

    public override string ToString() => Name;

    /// <summary>A new model holding the base weights, in eval mode.</summary>
    public nn.Module Fresh()
    {
        nn.Module model = _create();
        using (no_grad())
        {
            foreach (var (key, value) in model.state_dict())
            {
                value.copy_(_baseState[key]);
            }
        }

        model.eval();
        return model;
    }

    /// <summary>The logits of the unadapted base model (no gradients).</summary>
    public Tensor BaseLogits()
    {
        using nn.Module model = Fresh();
        using var noGrad = no_grad();
        return Run(model).detach().clone();
    }

    public static RealModel Bert()
    {
        BertConfig config = ModelTestData.TinyBert(numLabels: 3);
        ModelTestData.Batch batch = ModelTestData.PaddedBatch(padId: 0);
        return new RealModel(
            "BERT",
            () => new BertForSequenceClassification(config),
            m =>
            {
                using Tensor ids = batch.IdsTensor();
                using Tensor mask = batch.MaskTensor();
                using Tensor types = batch.TokenTypesTensor();
                return ((BertForSequenceClassification)m).Forward(ids, mask, types);
            },
            m => ModelTestData.Randomize(m, seed: 81));
    }

    public static RealModel ResNet()
    {
        var config = new ResNetConfig { BlockType = ResNetBlockType.Basic, BlocksPerStage = [1, 1, 1, 1], StageWidths = [4, 8, 8, 8], StemWidth = 8, NumClasses = 5 };
        float[] pixels = ResNetTestWeights.Input([2, 3, 32, 32], seed: 83);
        return new RealModel(
            "ResNet",
            () => new ResNetModel(config),
            m =>
            {
                using Tensor images = torch.tensor(pixels, [2, 3, 32, 32]);
                return ((ResNetModel)m).forward(images);
            },
            m => ResNetTestWeights.Randomize(m, seed: 82));
    }

    public static RealModel Roberta()
    {
        RobertaConfig config = RobertaTestData.TinyRoberta(numLabels: 3);
        ModelTestData.Batch batch = RobertaTestData.PaddedBatch();
        return new RealModel(
            "RoBERTa",
            () => new RobertaForSequenceClassification(config),
            m =>
            {
                using Tensor ids = batch.IdsTensor();
                using Tensor mask = batch.MaskTensor();
                return ((RobertaForSequenceClassification)m).Forward(ids, mask);
            },
            m => ModelTestData.Randomize(m, seed: 84));
    }

    public static RealModel ByName(string name) => name switch
    {
        "BERT" => Bert(),
        "RoBERTa" => Roberta(),
        _ => ResNet(),
    };
}

/// <summary>Checks shared by the method tests.</summary>
internal static class MethodAssert
{
    /// <summary>Adds seeded noise to every trainable parameter, as a few optimizer steps would.</summary>
    public static void Perturb(PeftModel peft, int seed, double scale = 0.2)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        foreach (Parameter parameter in peft.TrainableParameters())
        {
            parameter.add_(randn(parameter.shape, generator: generator).mul(scale).to(parameter.dtype));
        }
    }

    /// <summary>
    /// Runs a backward pass through <paramref name="run"/> and checks that exactly the parameters that require
    /// gradients got one, that they are what <see cref="PeftModel.TrainableParameters"/> lists, and that
    /// <paramref name="isTrainable"/> agrees with both for every named parameter.
    /// </summary>
    public static void OnlyTrainableParametersGetGradients(PeftModel peft, Func<Tensor> run, Func<string, bool> isTrainable)
    {
        using (Tensor output = run())
        using (Tensor loss = output.square().sum())
        {
            loss.backward();
        }

        var trainable = peft.TrainableParameters().ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.NotEmpty(trainable);
        int withGradient = 0;
        foreach (var (name, parameter) in peft.named_parameters())
        {
            bool expected = isTrainable(name);
            Assert.True(expected == parameter.requires_grad, $"{name}: requires_grad is {parameter.requires_grad}, expected {expected}.");
            Assert.Equal(expected, trainable.Contains(parameter));
            bool hasGradient = parameter.grad is not null;
            Assert.True(expected == hasGradient, $"{name}: {(hasGradient ? "has a gradient but is frozen" : "is trainable but got no gradient")}.");
            if (hasGradient)
            {
                withGradient++;
            }
        }

        Assert.Equal(trainable.Count, withGradient);
    }

    /// <summary>Parses the saved <c>adapter_config.json</c>.</summary>
    public static System.Text.Json.Nodes.JsonObject ReadConfig(string folder) =>
        (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!;

    /// <summary>The keys of the saved <c>adapter_model.safetensors</c>.</summary>
    public static HashSet<string> SavedKeys(string folder)
    {
        using var source = Microsoft.ML.Peft.Checkpoints.SafeTensors.Open(Path.Combine(folder, "adapter_model.safetensors"));
        return source.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Logits equal to float32 rounding.</summary>
    public static void SameLogits(Tensor expected, Tensor actual, string because) =>
        Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-6), $"{because} (max difference {TensorAssert.MaxAbs(expected - actual):G4}).");
}
