using Microsoft.ML.Peft.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>
/// A ResNet laid out exactly like torchvision's <c>torchvision.models.resnet.ResNet</c>: stem <c>conv1</c> (7×7, stride 2,
/// padding 3) → <c>bn1</c> → ReLU → <c>maxpool</c> (3, stride 2, padding 1) → <c>layer1</c> … <c>layerN</c> →
/// adaptive average pool → flatten → <c>fc</c>. State-dict keys are torchvision's (<c>layer2.0.downsample.1.running_var</c>,
/// …, including <c>num_batches_tracked</c>), so torchvision checkpoints converted to safetensors load unchanged.
/// </summary>
/// <remarks>
/// Like every module, a new ResNet starts in training mode; call <c>eval()</c> to use the BatchNorm running statistics.
/// </remarks>
[InvokesChildrenWithCall]
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    // Field names are the torchvision state-dict names. Everything is registered by hand in torchvision's order
    // (which is also the state-dict order); RegisterComponents then finds nothing left to add.
    private readonly nn.Module<Tensor, Tensor> conv1; // typed loosely so PEFT can put an adapter layer in its place
    private readonly BatchNorm bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential[] _stages;
    private readonly AdaptiveAvgPool2d avgpool;
    private Linear fc;

    /// <summary>Builds a randomly initialized ResNet with torchvision's initialization.</summary>
    /// <param name="config">The architecture.</param>
    /// <param name="zeroInitResidual">
    /// Zero the weight of the last BatchNorm in every residual branch so each block starts as the identity
    /// (torchvision <c>zero_init_residual</c>).
    /// </param>
    /// <exception cref="ArgumentException">The configuration cannot build a ResNet.</exception>
    public ResNet(ResNetConfig config, bool zeroInitResidual = false)
        : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        conv1 = nn.Conv2d(config.InChannels, config.StemWidth, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = ResNetLayers.BatchNorm(config.StemWidth);
        relu = nn.ReLU(inplace: true);
        maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        _stages = BuildStages(config);
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(config.FeatureCount, config.NumClasses);

        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("relu", relu);
        register_module("maxpool", maxpool);
        for (int stage = 0; stage < _stages.Length; stage++)
        {
            register_module(StageName(stage), _stages[stage]);
        }

        register_module("avgpool", avgpool);
        register_module("fc", fc);
        RegisterComponents();

        Initialize(zeroInitResidual);
    }

    /// <summary>The architecture of this model (after <see cref="ReplaceHead"/>, with the new class count).</summary>
    public ResNetConfig Config { get; private set; }

    /// <summary>The stages <c>layer1</c> … <c>layerN</c>, each a sequence of residual blocks.</summary>
    public IReadOnlyList<Sequential> Stages => _stages;

    /// <summary>The classification head <c>fc</c>.</summary>
    public Linear Head => fc;

    /// <summary>torchvision <c>resnet18</c> with random weights.</summary>
    public static ResNet ResNet18(int numClasses = 1000) => new(ResNetConfig.ResNet18(numClasses));

    /// <summary>torchvision <c>resnet34</c> with random weights.</summary>
    public static ResNet ResNet34(int numClasses = 1000) => new(ResNetConfig.ResNet34(numClasses));

    /// <summary>torchvision <c>resnet50</c> with random weights.</summary>
    public static ResNet ResNet50(int numClasses = 1000) => new(ResNetConfig.ResNet50(numClasses));

    /// <summary>torchvision <c>resnet101</c> with random weights.</summary>
    public static ResNet ResNet101(int numClasses = 1000) => new(ResNetConfig.ResNet101(numClasses));

    /// <summary>torchvision <c>resnet152</c> with random weights.</summary>
    public static ResNet ResNet152(int numClasses = 1000) => new(ResNetConfig.ResNet152(numClasses));

    /// <summary>
    /// Loads a ResNet from a <c>.safetensors</c> file or a Hugging Face folder with torchvision state-dict names,
    /// inferring the architecture from the stored keys and shapes (see <see cref="FromPretrained(ITensorSource)"/>).
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint is not a torchvision-style ResNet, or its tensors do not fit.</exception>
    public static ResNet FromPretrained(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using ITensorSource weights = CheckpointFiles.Open(path);
        return FromPretrained(weights);
    }

    /// <summary>
    /// Builds the ResNet that <paramref name="weights"/> describes and loads every tensor into it (strictly: nothing may be
    /// missing or left over). Block type, blocks per stage, stage, stem and bottleneck widths, groups, input channels
    /// and classes are inferred from the keys and shapes, so narrow, wide, ResNeXt and custom-width checkpoints load too.
    /// Keys saved from <c>nn.DataParallel</c> (prefixed <c>module.</c>) are accepted, and so are checkpoints without
    /// <c>num_batches_tracked</c> (as PyTorch accepts them; the counters stay 0). The model is returned in training mode,
    /// as torchvision does.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint is not a torchvision-style ResNet (the message names the missing key), or its tensors do not fit.</exception>
    public static ResNet FromPretrained(ITensorSource weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        string prefix = ResNetCheckpointInference.FindKeyPrefix(weights);
        ResNetConfig config = ResNetCheckpointInference.InferConfig(weights, prefix);

        var model = new ResNet(config);
        try
        {
            var options = new WeightLoadOptions
            {
                MapKey = prefix.Length == 0 ? null : key => key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key,

                // Checkpoints saved before PyTorch 0.4.1 (the original torchvision weights among them) have no
                // num_batches_tracked; PyTorch accepts that and keeps the counter at 0, and so do we. With a fixed
                // momentum the counter does not affect the computation.
                MayBeMissing = key => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal),
            };
            ModuleWeights.Load(model, weights, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// The architecture <paramref name="weights"/> describes, read from its keys and shapes without loading any tensor;
    /// <see cref="FromPretrained(ITensorSource)"/> builds its model from this.
    /// </summary>
    /// <exception cref="WeightLoadException">The checkpoint is not a torchvision-style ResNet; the message names the missing key.</exception>
    public static ResNetConfig InferConfig(ITensorSource weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return ResNetCheckpointInference.InferConfig(weights, ResNetCheckpointInference.FindKeyPrefix(weights));
    }

    /// <summary>
    /// Replaces the head <c>fc</c> with a freshly initialized linear layer of <paramref name="numClasses"/> outputs (on the
    /// old head's device and dtype, in the model's current mode), for fine-tuning on a new label set. The backbone is untouched;
    /// the old head is disposed.
    /// </summary>
    /// <returns>The new head.</returns>
    public Linear ReplaceHead(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        Linear old = fc;
        Linear head = nn.Linear(Config.FeatureCount, numClasses);
        head.to(old.weight.device, old.weight.dtype);
        head.train(training);

        // fc is registered last, so removing and re-adding it keeps the state-dict key order.
        register_module("fc", null!);
        register_module("fc", head);
        fc = head;
        old.Dispose();
        Config = Config with { NumClasses = numClasses };
        return head;
    }

    /// <summary>Computes the logits [N, NumClasses] for images [N, InChannels, H, W].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor features = ForwardFeatures(input);
        return fc.call(features).MoveToOuterDisposeScope();
    }

    /// <summary>Computes the pooled, flattened features [N, FeatureCount] that feed the head.</summary>
    /// <exception cref="ArgumentException">The input is not [N, InChannels, H, W].</exception>
    public Tensor ForwardFeatures(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != Config.InChannels)
        {
            throw new ArgumentException(
                $"ResNet expects images shaped [N, {Config.InChannels}, H, W]; got [{string.Join(", ", input.shape)}].",
                nameof(input));
        }

        using var scope = NewDisposeScope();
        Tensor x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        foreach (Sequential stage in _stages)
        {
            x = stage.call(x);
        }

        return avgpool.call(x).flatten(1).MoveToOuterDisposeScope();
    }

    internal static string StageName(int stage) => $"layer{stage + 1}";

    private static Sequential[] BuildStages(ResNetConfig config)
    {
        var stages = new Sequential[config.StageCount];
        int inChannels = config.StemWidth;
        for (int stage = 0; stage < config.StageCount; stage++)
        {
            int stride = stage == 0 ? 1 : 2;
            int outChannels = config.StageOutputChannels(stage);
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (int index = 0; index < config.BlocksPerStage[stage]; index++)
            {
                // Only the first block of a stage changes resolution or width.
                int blockStride = index == 0 ? stride : 1;
                int blockIn = index == 0 ? inChannels : outChannels;
                blocks.Add(config.BlockType == ResNetBlockType.Bottleneck
                    ? new Bottleneck(blockIn, config.BottleneckWidth(stage), outChannels, blockStride, config.Groups)
                    : new BasicBlock(blockIn, outChannels, blockStride));
            }

            stages[stage] = nn.Sequential(blocks);
            inChannels = outChannels;
        }

        return stages;
    }

    private void Initialize(bool zeroInitResidual)
    {
        using var noGrad = no_grad();
        foreach (nn.Module module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias!);
                    break;
            }
        }

        if (zeroInitResidual)
        {
            foreach (IResidualBlock block in modules().OfType<IResidualBlock>())
            {
                nn.init.zeros_(block.LastNorm.weight);
            }
        }
    }
}
