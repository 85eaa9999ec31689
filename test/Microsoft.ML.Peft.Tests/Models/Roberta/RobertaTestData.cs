using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Tests.Models.Bert;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Roberta;

/// <summary>A tiny RoBERTa and its double-precision reference (BERT's encoder with RoBERTa's positions and head).</summary>
internal static class RobertaTestData
{
    public const long PadId = 1;

    public static RobertaConfig TinyRoberta(int numLabels = 3) => new()
    {
        VocabSize = 40,
        HiddenSize = 16,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 32,
        MaxPositionEmbeddings = 12,
        TypeVocabSize = 1, // as roberta-base's config.json
        LayerNormEps = 1e-5,
        NumLabels = numLabels,
    };

    /// <summary>The padded batch with padding id 1 and no token types (RoBERTa has a single type).</summary>
    public static ModelTestData.Batch PaddedBatch()
    {
        ModelTestData.Batch batch = ModelTestData.PaddedBatch(PadId);
        return batch with { TokenTypes = batch.TokenTypes.Select(row => new long[row.Length]).ToArray() };
    }

    /// <summary>RoBERTa's positions, counted in a loop: padding_idx + running count of non-padding tokens; padding_idx for padding.</summary>
    public static long[] Positions(long[] ids)
    {
        var positions = new long[ids.Length];
        long count = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            if (ids[t] != PadId)
            {
                count++;
                positions[t] = PadId + count;
            }
            else
            {
                positions[t] = PadId;
            }
        }

        return positions;
    }

    /// <summary>Reference logits: out_proj(tanh(dense(first token))) per row.</summary>
    public static List<double> ReferenceLogits(IReadOnlyDictionary<string, Tensor> state, RobertaConfig config, ModelTestData.Batch batch)
    {
        var reference = new ReferenceEncoder(state, "roberta.", config);
        var logits = new List<double>();
        for (int row = 0; row < batch.Rows; row++)
        {
            double[][] last = reference.Encode(batch.Ids[row], batch.Mask[row], batch.TokenTypes[row], Positions(batch.Ids[row]))[^1];
            double[] dense = ReferenceEncoder.Tanh(reference.Linear("classifier.dense", last[0]));
            logits.AddRange(reference.Linear("classifier.out_proj", dense));
        }

        return logits;
    }
}
