using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Checkpointing;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Training.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public class MixedPrecisionTests
{
    [Fact]
    public void Bfloat16TrainingOfLowRankAdaptersConvergesWithFloat32MasterWeights()
    {
        using var folder = new TemporaryFolder();
        using BertForSequenceClassification model = TinyText.Bert(seed: 4, hidden: 32);
        foreach ((_, Parameter parameter) in model.named_parameters())
        {
            parameter.requires_grad = false;
        }

        // LoRA-style wrappers (float32 A and B around the frozen base projection) on query and value; the head trains.
        nn.Module attention = model.named_modules().Single(m => m.name == "bert.encoder.layer.0.attention.self").module;
        foreach (string name in new[] { "query", "value" })
        {
            var baseLinear = (Linear)attention.named_children().Single(c => c.name == name).module;
            attention.register_module(name, null!);
            attention.register_module(name, new LowRankAdapted(baseLinear, rank: 4));
        }

        foreach ((_, Parameter parameter) in model.named_parameters().Where(p => p.name.StartsWith("classifier.", StringComparison.Ordinal)))
        {
            parameter.requires_grad = true;
        }

        var seenDuringTraining = new List<(ScalarType Frozen, ScalarType Adapter, ScalarType Gradient)>();
        Linear frozenDense = (Linear)model.named_modules().Single(m => m.name == "bert.encoder.layer.0.intermediate.dense").module;
        var log = new List<string>();
        var options = new TrainingOptions
        {
            Log = log.Add,
            Epochs = 8,
            BatchSize = 16,
            LearningRate = 2e-2,
            ValidationFraction = 0.2,
            Precision = TrainingPrecision.BFloat16,
            CheckpointFolder = folder.Path,
            Threads = 1,
            Progress = new SynchronousProgress<TrainingProgress>(_ =>
            {
                Parameter loraA = model.named_parameters().First(p => p.name.EndsWith("lora_A.weight", StringComparison.Ordinal)).parameter;
                seenDuringTraining.Add((frozenDense.weight!.dtype, loraA.dtype, ScalarType.Float32));
            }),
        };
        TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), TinyText.Data(400, seed: 8));

        Assert.All(seenDuringTraining, s => Assert.Equal((ScalarType.BFloat16, ScalarType.Float32, ScalarType.Float32), s));
        Assert.True(result.Epochs[^1].TrainingLoss < 0.5 * result.Epochs[0].TrainingLoss, EpochSummary(result));
        Assert.True(result.Epochs.Max(e => e.Validation!.Accuracy!.Value) >= 0.9, EpochSummary(result));

        // Trainable weights, their optimizer state and the checkpoint stay float32; the frozen base is float32 again afterwards.
        Assert.All(model.named_parameters().Where(p => p.parameter.requires_grad), p => Assert.Equal(ScalarType.Float32, p.parameter.dtype));
        Assert.Equal(ScalarType.Float32, frozenDense.weight!.dtype);
        using var optimizerState = SafeTensors.Open(Path.Combine(result.LastCheckpoint!, TrainingCheckpoints.OptimizerFileName));
        Assert.All(optimizerState.Keys.Where(k => !k.EndsWith(".step", StringComparison.Ordinal)), k => Assert.Equal(ScalarType.Float32, optimizerState.GetDType(k)));
        using var weights = SafeTensors.Open(Path.Combine(result.LastCheckpoint!, TrainingCheckpoints.WeightsFileName));
        Assert.All(weights.Keys, k => Assert.Equal(ScalarType.Float32, weights.GetDType(k)));
        Assert.Contains("bert.encoder.layer.0.attention.self.query.lora_B.weight", weights.Keys);

        // The slow-bf16 warning is given exactly where this CPU is known to lack bf16 matrix instructions.
        bool warned = log.Any(l => l.Contains("no bfloat16 matrix instructions", StringComparison.Ordinal));
        Assert.Equal(BFloat16Hardware.CpuHasMatrixInstructions == false, warned);
    }

    [Fact]
    public void ApplyCastsFrozenLeavesOnlyAndUndoesItOnDispose()
    {
        using BertForSequenceClassification model = TinyText.Bert(seed: 4);
        foreach ((string name, Parameter parameter) in model.named_parameters())
        {
            parameter.requires_grad = name.StartsWith("classifier.", StringComparison.Ordinal);
        }

        Dictionary<string, ScalarType> During;
        using (Tensor ids = tensor(new long[] { 2, 5, 7, 3 }, [1, 4]))
        {
            using (MixedPrecision.Apply(model))
            {
                During = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.dtype);
                using Tensor logits = model.Forward(ids);
                Assert.Equal(ScalarType.BFloat16, logits.dtype);
                Assert.Equal([1L, 2L], logits.shape);
            }

            using Tensor after = model.Forward(ids);
            Assert.Equal(ScalarType.Float32, after.dtype);
        }

        Assert.Equal(ScalarType.BFloat16, During["bert.embeddings.word_embeddings.weight"]);
        Assert.Equal(ScalarType.BFloat16, During["bert.encoder.layer.0.attention.self.query.weight"]);
        Assert.Equal(ScalarType.Float32, During["bert.encoder.layer.0.attention.output.LayerNorm.weight"]);
        Assert.Equal(ScalarType.Float32, During["classifier.weight"]);
        Assert.All(model.named_parameters(), p => Assert.Equal(ScalarType.Float32, p.parameter.dtype));
    }

    [Fact]
    public void ResNetRunsWithABfloat16FrozenBaseAndAFloat32Head()
    {
        // The ResNet port invokes its children with call(...), so the casting hooks run in every block.
        var config = new Microsoft.ML.Peft.Models.ResNets.ResNetConfig { BlocksPerStage = [1, 1, 1, 1], StageWidths = [4, 8, 8, 8], StemWidth = 8, NumClasses = 3 };
        using var model = new Microsoft.ML.Peft.Models.ResNets.ResNet(config);
        foreach ((string name, Parameter parameter) in model.named_parameters())
        {
            parameter.requires_grad = name.StartsWith("fc.", StringComparison.Ordinal);
        }

        using Tensor images = randn(2, 3, 32, 32);
        using (MixedPrecision.Apply(model))
        {
            Assert.Equal(ScalarType.BFloat16, model.named_parameters().Single(p => p.name == "layer1.0.conv1.weight").parameter.dtype);
            using Tensor logits = model.forward(images);
            using Tensor loss = logits.to(ScalarType.Float32).square().sum();
            loss.backward();
        }

        Parameter head = model.named_parameters().Single(p => p.name == "fc.weight").parameter;
        Assert.Equal(ScalarType.Float32, head.dtype);
        Assert.NotNull(head.grad);
        Assert.All(model.named_parameters(), p => Assert.Equal(ScalarType.Float32, p.parameter.dtype));
    }

    [Fact]
    public void CastLikeConvertsOnlyFloatingTensorsOfAnotherType()
    {
        using Tensor half = zeros(2, dtype: ScalarType.BFloat16);
        using Tensor single = ones(2);
        using Tensor ids = tensor(new long[] { 1, 2 });
        using Tensor cast = MixedPrecision.CastLike(single, half);
        Assert.Equal(ScalarType.BFloat16, cast.dtype);
        Assert.Same(ids, MixedPrecision.CastLike(ids, half));
        Assert.Same(single, MixedPrecision.CastLike(single, single));
    }

    [Fact]
    public void TrainableWeightsMustBeFloat32()
    {
        using BertForSequenceClassification model = TinyText.Bert(seed: 4);
        model.to(ScalarType.BFloat16);
        var options = new TrainingOptions { Epochs = 1, LearningRate = 1e-3, Precision = TrainingPrecision.BFloat16, Threads = 1 };
        var error = Assert.Throws<ArgumentException>(() => new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), TinyText.Data(8, 1)));
        Assert.Contains("must be float32", error.Message);
    }

    private static string EpochSummary(TrainingResult result) =>
        string.Join("; ", result.Epochs.Select(e => $"epoch {e.Epoch}: loss {e.TrainingLoss:F3}, accuracy {e.Validation?.Accuracy:F3}"));

    /// <summary>
    /// A minimal LoRA-style wrapper as a PEFT layer would write it: base(x) + B(A(x)) with A and B Linear submodules.
    /// Under mixed precision the hooks run the frozen base in bfloat16 and A, B in float32, with no dtype code here.
    /// </summary>
    private sealed class LowRankAdapted : nn.Module<Tensor, Tensor>
    {
        public LowRankAdapted(Linear baseLinear, int rank)
            : base(nameof(LowRankAdapted))
        {
            register_module("base_layer", baseLinear);
            Linear a = nn.Linear(baseLinear.in_features, rank, hasBias: false);
            Linear b = nn.Linear(rank, baseLinear.out_features, hasBias: false);
            using (no_grad())
            {
                b.weight!.zero_();
            }

            register_module("lora_A", a);
            register_module("lora_B", b);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            Tensor baseOutput = Child("base_layer").call(input);
            Tensor delta = Child("lora_B").call(Child("lora_A").call(input));
            return baseOutput.add(MixedPrecision.CastLike(delta, baseOutput)).MoveToOuterDisposeScope();
        }

        private nn.Module<Tensor, Tensor> Child(string name) => (nn.Module<Tensor, Tensor>)named_children().Single(c => c.name == name).module;
    }
}
