using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>Tiny configurations, deterministic non-trivial weights, a padded batch, and tensor comparisons.</summary>
internal static class ModelTestData
{
    public static BertConfig TinyBert(string activation = "gelu", int numLabels = 3) => new()
    {
        VocabSize = 40,
        HiddenSize = 16,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 32,
        MaxPositionEmbeddings = 24,
        TypeVocabSize = 2,
        HiddenAct = activation,
        NumLabels = numLabels,
    };

    /// <summary>
    /// Replaces every parameter with seeded random values large enough that attention, GELU and LayerNorm all work in
    /// their non-linear range (transformers' 0.02 initialisation would leave the outputs nearly constant).
    /// </summary>
    public static void Randomize(nn.Module model, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in model.named_parameters())
        {
            Tensor noise = randn(parameter.shape, generator: generator);
            Tensor value = name switch
            {
                _ when name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) => noise.mul(0.1).add(1.0),
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => noise.mul(0.1),
                _ when name.Contains("embeddings.", StringComparison.Ordinal) => noise,
                _ => noise.mul(0.3),
            };
            parameter.copy_(value);
        }
    }

    /// <summary>A batch of three rows of 6 tokens: full length, 4 tokens + 2 padding, 2 tokens + 4 padding.</summary>
    public sealed record Batch(long[][] Ids, long[][] Mask, long[][] TokenTypes)
    {
        public int Rows => Ids.Length;

        public int Length => Ids[0].Length;

        public Tensor IdsTensor() => Tensor2D(Ids);

        public Tensor MaskTensor() => Tensor2D(Mask);

        public Tensor TokenTypesTensor() => Tensor2D(TokenTypes);

        public Batch WithIds(long[][] ids) => this with { Ids = ids };
    }

    public static Batch PaddedBatch(long padId) => new(
        Ids: [[2, 7, 13, 21, 5, 3], [2, 30, 9, 3, padId, padId], [2, 3, padId, padId, padId, padId]],
        Mask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]],
        TokenTypes: [[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0], [0, 1, 0, 0, 0, 0]]);

    public static Tensor Tensor2D(long[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], ScalarType.Int64);

    public static Dictionary<string, Tensor> StateDict(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Writes a Hugging Face model folder: <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public static void WritePretrainedFolder(string folder, string configJson, IReadOnlyDictionary<string, Tensor> weights)
    {
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson);
        SafeTensors.Save(Path.Combine(folder, "model.safetensors"), weights);
    }

    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.allclose(b, rtol: 0, atol: 0);

    public static double[] ToDoubles(Tensor tensor)
    {
        using Tensor asDouble = tensor.detach().to(ScalarType.Float64).contiguous();
        return asDouble.data<double>().ToArray();
    }

    /// <summary>Asserts |expected - actual| ≤ tolerance everywhere, reporting the worst element.</summary>
    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Count; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.False(double.IsNaN(error), $"{what}: element {i} is NaN (expected {expected[i]}, actual {actual[i]}).");
            if (error > worst)
            {
                worst = error;
                worstAt = i;
            }
        }

        Assert.True(
            worst <= tolerance,
            $"{what}: max |error| {worst:E3} at element {worstAt} (expected {expected[Math.Max(worstAt, 0)]}, " +
            $"actual {actual[Math.Max(worstAt, 0)]}) exceeds {tolerance:E1}.");
    }
}
