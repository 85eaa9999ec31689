using System.Text.Json;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Models.Roberta;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Which network a saved model holds and its configuration text, enough to build the same (randomly initialised)
/// network again before its weights are loaded: a Hugging Face <c>config.json</c> for BERT and RoBERTa, the fields of
/// <see cref="ResNetConfig"/> as JSON for a ResNet.
/// </summary>
internal sealed record ModelArchitecture(string Kind, string ConfigText)
{
    public const string Bert = "bert";
    public const string Roberta = "roberta";
    public const string ResNet = "resnet";

    private static readonly JsonSerializerOptions ResNetJson = new() { WriteIndented = true };

    /// <summary>The architecture of <paramref name="network"/>.</summary>
    /// <exception cref="NotSupportedException">The network is not one of the library's BERT, RoBERTa or ResNet models.</exception>
    public static ModelArchitecture Of(nn.Module network) => network switch
    {
        BertForSequenceClassification bert => new(Bert, bert.Config.ToJson()),
        RobertaForSequenceClassification roberta => new(Roberta, roberta.Config.ToJson()),
        Models.ResNets.ResNet resnet => new(ResNet, JsonSerializer.Serialize(ResNetFields.From(resnet.Config), ResNetJson)),
        _ => throw new NotSupportedException(
            $"{network.GetType().Name} cannot be saved into an ML.NET model; use BertForSequenceClassification, RobertaForSequenceClassification or ResNet."),
    };

    /// <summary>Builds the network this architecture describes, with fresh weights.</summary>
    /// <exception cref="InvalidDataException">The kind is unknown or the configuration text is invalid.</exception>
    public nn.Module Build() => Kind switch
    {
        Bert => new BertForSequenceClassification(BertConfig.FromJson(ConfigText)),
        Roberta => new RobertaForSequenceClassification(RobertaConfig.FromJson(ConfigText)),
        ResNet => new Models.ResNets.ResNet(
            (JsonSerializer.Deserialize<ResNetFields>(ConfigText) ?? throw new InvalidDataException("The saved ResNet configuration is JSON null.")).ToConfig()),
        _ => throw new InvalidDataException($"The saved model holds an unknown architecture '{Kind}'; expected {Bert}, {Roberta} or {ResNet}."),
    };

    /// <summary>The prefix of the task head's state-dict keys: <c>classifier.</c> for BERT and RoBERTa, <c>fc.</c> for a ResNet.</summary>
    public string HeadPrefix => Kind == ResNet ? "fc." : BertStyleSequenceClassifier<BertConfig>.ClassifierName + ".";

    /// <summary>
    /// Builds this network with the weights of the base model at <paramref name="path"/> (a folder or <c>.safetensors</c>
    /// file), for everything but the task head, whose values the caller sets.
    /// </summary>
    /// <exception cref="InvalidDataException">The base model is another architecture than this one.</exception>
    public nn.Module BuildFromBase(string path)
    {
        if (Kind == ResNet)
        {
            Models.ResNets.ResNet resnet = Models.ResNets.ResNet.FromPretrained(path);
            var expected = (JsonSerializer.Deserialize<ResNetFields>(ConfigText) ?? throw new InvalidDataException("The saved ResNet configuration is JSON null.")).ToConfig();
            if (resnet.Config.NumClasses != expected.NumClasses)
            {
                resnet.ReplaceHead(expected.NumClasses);
            }

            string found = Of(resnet).ConfigText;
            if (found != ConfigText)
            {
                resnet.Dispose();
                throw new InvalidDataException($"The base model at '{path}' is another ResNet than the model was trained on: it is\n{found}\nand the model expects\n{ConfigText}");
            }

            return resnet;
        }

        using ITensorSource checkpoint = CheckpointFiles.Open(path);
        var withoutHead = new WithoutHeadTensorSource(checkpoint, HeadPrefix);
        return Kind switch
        {
            Bert => BertForSequenceClassification.FromPretrained(BertConfig.FromJson(ConfigText), withoutHead),
            Roberta => RobertaForSequenceClassification.FromPretrained(RobertaConfig.FromJson(ConfigText), withoutHead),
            _ => throw new InvalidDataException($"The saved model holds an unknown architecture '{Kind}'; expected {Bert}, {Roberta} or {ResNet}."),
        };
    }

    /// <summary>The serialisable fields of a <see cref="ResNetConfig"/>.</summary>
    private sealed record ResNetFields(
        ResNetBlockType BlockType, int[] BlocksPerStage, int[] StageWidths, int StemWidth, int InChannels, int NumClasses, int Groups, int WidthPerGroup, int[]? BottleneckWidths)
    {
        public static ResNetFields From(ResNetConfig c) => new(
            c.BlockType, c.BlocksPerStage.ToArray(), c.StageWidths.ToArray(), c.StemWidth, c.InChannels, c.NumClasses, c.Groups, c.WidthPerGroup, c.BottleneckWidths?.ToArray());

        public ResNetConfig ToConfig() => new()
        {
            BlockType = BlockType,
            BlocksPerStage = BlocksPerStage,
            StageWidths = StageWidths,
            StemWidth = StemWidth,
            InChannels = InChannels,
            NumClasses = NumClasses,
            Groups = Groups,
            WidthPerGroup = WidthPerGroup,
            BottleneckWidths = BottleneckWidths,
        };
    }
}
