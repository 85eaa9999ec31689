using Microsoft.ML.Peft.Checkpoints;

namespace Microsoft.ML.Peft.Models.ResNets;

/// <summary>Reads a ResNet's architecture off the keys and shapes of a torchvision-named checkpoint.</summary>
internal static class ResNetCheckpointInference
{
    private const string DataParallelPrefix = "module.";

    /// <summary>The prefix every ResNet key carries: empty, or <c>module.</c> for checkpoints saved from DataParallel.</summary>
    public static string FindKeyPrefix(ITensorSource weights) =>
        !weights.Contains("conv1.weight") && weights.Contains(DataParallelPrefix + "conv1.weight") ? DataParallelPrefix : string.Empty;

    /// <summary>Infers the configuration; throws <see cref="WeightLoadException"/> naming the key that is missing or malformed.</summary>
    public static ResNetConfig InferConfig(ITensorSource weights, string prefix)
    {
        var reader = new ShapeReader(weights, prefix);

        long[] stem = reader.Shape("conv1.weight", rank: 4);
        int inChannels = (int)stem[1];
        int stemWidth = (int)stem[0];
        long[] head = reader.Shape("fc.weight", rank: 2);
        reader.Shape("layer1.0.conv1.weight", rank: 4);

        bool bottleneck = reader.Has("layer1.0.conv3.weight");
        var blockType = bottleneck ? ResNetBlockType.Bottleneck : ResNetBlockType.Basic;

        var blocksPerStage = new List<int>();
        var stageWidths = new List<int>();
        var innerWidths = new List<int>();
        int groups = 1;
        for (int stage = 0; reader.Has($"{ResNet.StageName(stage)}.0.conv1.weight"); stage++)
        {
            string layer = ResNet.StageName(stage);
            int blocks = 0;
            while (reader.Has($"{layer}.{blocks}.conv1.weight"))
            {
                if (reader.Has($"{layer}.{blocks}.conv3.weight") != bottleneck)
                {
                    throw reader.NotAResNet(
                        $"block '{layer}.{blocks}' is a {(bottleneck ? "basic block" : "bottleneck")} but 'layer1.0' is a {blockType} " +
                        "(all blocks must be of one type)");
                }

                blocks++;
            }

            blocksPerStage.Add(blocks);
            if (bottleneck)
            {
                long[] expand = reader.Shape($"{layer}.0.conv3.weight", rank: 4);
                if (expand[0] % Bottleneck.Expansion != 0)
                {
                    throw reader.NotAResNet(
                        $"'{layer}.0.conv3.weight' has {expand[0]} output channels, not a multiple of the bottleneck expansion {Bottleneck.Expansion}");
                }

                stageWidths.Add((int)(expand[0] / Bottleneck.Expansion));
                long[] spatial = reader.Shape($"{layer}.0.conv2.weight", rank: 4);
                int stageGroups = (int)(spatial[0] / Math.Max(1, spatial[1]));
                if (stage == 0)
                {
                    groups = stageGroups;
                }
                else if (stageGroups != groups)
                {
                    throw reader.NotAResNet(
                        $"'{layer}.0.conv2.weight' implies {stageGroups} groups but 'layer1.0.conv2.weight' implies {groups}");
                }

                innerWidths.Add((int)spatial[0]);
            }
            else
            {
                stageWidths.Add((int)reader.Shape($"{layer}.0.conv1.weight", rank: 4)[0]);
            }
        }

        var config = new ResNetConfig
        {
            BlockType = blockType,
            BlocksPerStage = blocksPerStage,
            StageWidths = stageWidths,
            StemWidth = stemWidth,
            InChannels = inChannels,
            NumClasses = (int)head[0],
            Groups = groups,
        };

        if (bottleneck)
        {
            config = WithBottleneckWidths(config, innerWidths);
        }

        if (head[1] != config.FeatureCount)
        {
            throw reader.NotAResNet(
                $"'{prefix}fc.weight' takes {head[1]} features but '{prefix}{ResNet.StageName(config.StageCount - 1)}' " +
                $"outputs {config.FeatureCount} channels");
        }

        return config;
    }

    /// <summary>
    /// Expresses the stored bottleneck widths with torchvision's <c>width_per_group</c> when one value reproduces them all
    /// (64 first, the default), and falls back to explicit widths otherwise.
    /// </summary>
    private static ResNetConfig WithBottleneckWidths(ResNetConfig config, IReadOnlyList<int> innerWidths)
    {
        int perGroup = innerWidths[0] / config.Groups;
        int smallest = (int)Math.Ceiling(perGroup * 64.0 / config.StageWidths[0]);
        foreach (int widthPerGroup in new[] { 64, smallest })
        {
            ResNetConfig candidate = config with { WidthPerGroup = widthPerGroup };
            if (widthPerGroup > 0 && Enumerable.Range(0, config.StageCount).All(s => candidate.BottleneckWidth(s) == innerWidths[s]))
            {
                return candidate;
            }
        }

        return config with { BottleneckWidths = innerWidths.ToArray() };
    }

    private sealed class ShapeReader(ITensorSource weights, string prefix)
    {
        public bool Has(string key) => weights.Contains(prefix + key);

        public long[] Shape(string key, int rank)
        {
            if (!Has(key))
            {
                throw NotAResNet($"it has no tensor '{prefix + key}'");
            }

            long[] shape = weights.GetShape(prefix + key);
            if (shape.Length != rank)
            {
                throw NotAResNet($"tensor '{prefix + key}' has shape [{string.Join(", ", shape)}], expected {rank} dimensions");
            }

            return shape;
        }

        public WeightLoadException NotAResNet(string reason)
        {
            string sample = string.Join(", ", weights.Keys.OrderBy(k => k, StringComparer.Ordinal).Take(5).Select(k => $"'{k}'"));
            string hint = weights.Keys.Any(k => k.StartsWith("resnet.embedder.", StringComparison.Ordinal))
                ? " It looks like a Hugging Face transformers ResNetModel checkpoint, whose tensor names differ from torchvision's."
                : string.Empty;
            return new WeightLoadException(
                $"{weights.Description} is not a torchvision-style ResNet checkpoint: {reason}. " +
                $"It holds {weights.Keys.Count} tensors{(sample.Length > 0 ? $", for example {sample}" : string.Empty)}.{hint}");
        }
    }
}
