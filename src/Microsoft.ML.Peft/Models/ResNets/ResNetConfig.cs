using System.Text;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>
/// The architecture of a torchvision-style ResNet: block type, blocks and widths per stage, stem width, classes,
/// and grouped/wide bottlenecks (ResNeXt, Wide ResNet). The defaults describe ResNet-18.
/// </summary>
/// <remarks>
/// Stage <c>k</c> (0-based) is the module <c>layer{k+1}</c>; its first block has stride 1 for the first stage and 2
/// for every later stage. A stage outputs <c>StageWidths[k] × Expansion</c> channels.
/// </remarks>
public sealed record ResNetConfig
{
    // The lists are copied on init so a caller's array cannot change a validated configuration.
    private readonly int[] _blocksPerStage = [2, 2, 2, 2];
    private readonly int[] _stageWidths = [64, 128, 256, 512];
    private readonly int[]? _bottleneckWidths;

    /// <summary>The residual block used in every stage.</summary>
    public ResNetBlockType BlockType { get; init; } = ResNetBlockType.Basic;

    /// <summary>How many blocks each stage holds (torchvision: <c>layers</c>). One entry per stage.</summary>
    public IReadOnlyList<int> BlocksPerStage
    {
        get => _blocksPerStage;
        init => _blocksPerStage = [.. value ?? throw new ArgumentNullException(nameof(BlocksPerStage))];
    }

    /// <summary>
    /// The base width of each stage (torchvision: <c>planes</c>, 64/128/256/512). A stage's output has
    /// <c>width × Expansion</c> channels. One entry per stage.
    /// </summary>
    public IReadOnlyList<int> StageWidths
    {
        get => _stageWidths;
        init => _stageWidths = [.. value ?? throw new ArgumentNullException(nameof(StageWidths))];
    }

    /// <summary>Output channels of the 7×7 stem convolution <c>conv1</c> (torchvision: 64).</summary>
    public int StemWidth { get; init; } = 64;

    /// <summary>Channels of the input image (3 for RGB).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Outputs of the classification head <c>fc</c>.</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Groups of the 3×3 bottleneck convolution (ResNeXt: 32). Basic blocks need 1.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>
    /// Channels per group of the bottleneck's 3×3 convolution at base width 64 (torchvision: <c>width_per_group</c>;
    /// ResNeXt-50 32×4d: 4, Wide ResNet-50-2: 128). Basic blocks need 64.
    /// </summary>
    public int WidthPerGroup { get; init; } = 64;

    /// <summary>
    /// Explicit inner widths of the bottleneck in each stage, overriding the torchvision rule
    /// <c>floor(width × WidthPerGroup / 64) × Groups</c>; for checkpoints (pruned or custom) the rule cannot describe.
    /// </summary>
    public IReadOnlyList<int>? BottleneckWidths
    {
        get => _bottleneckWidths;
        init => _bottleneckWidths = value is null ? null : [.. value];
    }

    /// <summary>How many times a block widens its base width at the output: 1 for basic blocks, 4 for bottlenecks.</summary>
    public int Expansion => BlockType == ResNetBlockType.Bottleneck ? 4 : 1;

    /// <summary>The number of stages (<c>layer1</c> … <c>layerN</c>).</summary>
    public int StageCount => StageWidths.Count;

    /// <summary>Channels of the pooled features that feed the head: the last stage's output channels.</summary>
    public int FeatureCount => StageWidths[^1] * Expansion;

    /// <summary>Output channels of stage <paramref name="stage"/> (0-based).</summary>
    public int StageOutputChannels(int stage) => StageWidths[stage] * Expansion;

    /// <summary>The inner (1×1 reduce and 3×3) width of the bottlenecks in stage <paramref name="stage"/> (0-based).</summary>
    public int BottleneckWidth(int stage) =>
        BottleneckWidths?[stage] ?? (int)(StageWidths[stage] * (WidthPerGroup / 64.0)) * Groups;

    /// <summary>torchvision <c>resnet18</c>: basic blocks [2, 2, 2, 2].</summary>
    public static ResNetConfig ResNet18(int numClasses = 1000) => Standard(ResNetBlockType.Basic, [2, 2, 2, 2], numClasses);

    /// <summary>torchvision <c>resnet34</c>: basic blocks [3, 4, 6, 3].</summary>
    public static ResNetConfig ResNet34(int numClasses = 1000) => Standard(ResNetBlockType.Basic, [3, 4, 6, 3], numClasses);

    /// <summary>torchvision <c>resnet50</c>: bottlenecks [3, 4, 6, 3].</summary>
    public static ResNetConfig ResNet50(int numClasses = 1000) => Standard(ResNetBlockType.Bottleneck, [3, 4, 6, 3], numClasses);

    /// <summary>torchvision <c>resnet101</c>: bottlenecks [3, 4, 23, 3].</summary>
    public static ResNetConfig ResNet101(int numClasses = 1000) => Standard(ResNetBlockType.Bottleneck, [3, 4, 23, 3], numClasses);

    /// <summary>torchvision <c>resnet152</c>: bottlenecks [3, 8, 36, 3].</summary>
    public static ResNetConfig ResNet152(int numClasses = 1000) => Standard(ResNetBlockType.Bottleneck, [3, 8, 36, 3], numClasses);

    /// <summary>torchvision <c>resnext50_32x4d</c>: ResNet-50 with 32 groups of width 4.</summary>
    public static ResNetConfig ResNeXt50_32x4d(int numClasses = 1000) => ResNet50(numClasses) with { Groups = 32, WidthPerGroup = 4 };

    /// <summary>torchvision <c>wide_resnet50_2</c>: ResNet-50 with bottlenecks twice as wide.</summary>
    public static ResNetConfig WideResNet50_2(int numClasses = 1000) => ResNet50(numClasses) with { WidthPerGroup = 128 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot build a ResNet.</summary>
    public void Validate()
    {
        if (StageWidths.Count == 0)
        {
            throw new ArgumentException("ResNetConfig.StageWidths needs at least one stage.");
        }

        if (BlocksPerStage.Count != StageWidths.Count)
        {
            throw new ArgumentException(
                $"ResNetConfig.BlocksPerStage has {BlocksPerStage.Count} entries but StageWidths has {StageWidths.Count}; " +
                "give one entry per stage.");
        }

        RequireAllPositive(nameof(StageWidths), StageWidths);
        RequireAllPositive(nameof(BlocksPerStage), BlocksPerStage);
        RequirePositive(nameof(StemWidth), StemWidth);
        RequirePositive(nameof(InChannels), InChannels);
        RequirePositive(nameof(NumClasses), NumClasses);
        RequirePositive(nameof(Groups), Groups);
        RequirePositive(nameof(WidthPerGroup), WidthPerGroup);

        if (BlockType == ResNetBlockType.Basic)
        {
            if (Groups != 1 || WidthPerGroup != 64 || BottleneckWidths is not null)
            {
                throw new ArgumentException(
                    $"Basic blocks support only Groups = 1 and WidthPerGroup = 64 without BottleneckWidths (as in torchvision); " +
                    $"got Groups = {Groups}, WidthPerGroup = {WidthPerGroup}.");
            }

            return;
        }

        if (BottleneckWidths is not null && BottleneckWidths.Count != StageWidths.Count)
        {
            throw new ArgumentException(
                $"ResNetConfig.BottleneckWidths has {BottleneckWidths.Count} entries but StageWidths has {StageWidths.Count}.");
        }

        for (int stage = 0; stage < StageCount; stage++)
        {
            int width = BottleneckWidth(stage);
            if (width <= 0 || width % Groups != 0)
            {
                throw new ArgumentException(
                    $"Stage {stage + 1} (layer{stage + 1}) has bottleneck width {width}, which must be positive and divisible by Groups = {Groups}.");
            }
        }
    }

    /// <inheritdoc />
    public bool Equals(ResNetConfig? other) =>
        other is not null &&
        BlockType == other.BlockType &&
        BlocksPerStage.SequenceEqual(other.BlocksPerStage) &&
        StageWidths.SequenceEqual(other.StageWidths) &&
        StemWidth == other.StemWidth &&
        InChannels == other.InChannels &&
        NumClasses == other.NumClasses &&
        Groups == other.Groups &&
        WidthPerGroup == other.WidthPerGroup &&
        (BottleneckWidths is null ? other.BottleneckWidths is null
            : other.BottleneckWidths is not null && BottleneckWidths.SequenceEqual(other.BottleneckWidths));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(BlockType);
        foreach (int blocks in BlocksPerStage)
        {
            hash.Add(blocks);
        }

        foreach (int width in StageWidths)
        {
            hash.Add(width);
        }

        hash.Add(StemWidth);
        hash.Add(InChannels);
        hash.Add(NumClasses);
        hash.Add(Groups);
        hash.Add(WidthPerGroup);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"BlockType = {BlockType}, BlocksPerStage = [{string.Join(", ", BlocksPerStage)}], ");
        builder.Append($"StageWidths = [{string.Join(", ", StageWidths)}], StemWidth = {StemWidth}, InChannels = {InChannels}, ");
        builder.Append($"NumClasses = {NumClasses}, Groups = {Groups}, WidthPerGroup = {WidthPerGroup}");
        if (BottleneckWidths is not null)
        {
            builder.Append($", BottleneckWidths = [{string.Join(", ", BottleneckWidths)}]");
        }

        return true;
    }

    private static ResNetConfig Standard(ResNetBlockType blockType, int[] blocks, int numClasses) =>
        new() { BlockType = blockType, BlocksPerStage = blocks, NumClasses = numClasses };

    private static void RequirePositive(string name, int value)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"ResNetConfig.{name} must be positive; got {value}.");
        }
    }

    private static void RequireAllPositive(string name, IReadOnlyList<int> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] <= 0)
            {
                throw new ArgumentException($"ResNetConfig.{name}[{i}] must be positive; got {values[i]}.");
            }
        }
    }
}
