using Microsoft.ML.Peft.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.Bert;

/// <summary>
/// A deliberately plain BERT encoder in double precision: arrays and loops over one sequence at a time, reading the
/// weights by their Hugging Face names. Padded keys are skipped outright (probability exactly 0) rather than masked
/// additively, so it checks the model's masking independently.
/// </summary>
internal sealed class ReferenceEncoder
{
    private readonly Dictionary<string, double[]> _weights = new(StringComparer.Ordinal);
    private readonly string _prefix;
    private readonly int _hidden;
    private readonly int _heads;
    private readonly int _layers;
    private readonly double _eps;
    private readonly Func<double, double> _activation;

    /// <param name="state">Weights by Hugging Face key (any float dtype).</param>
    /// <param name="prefix">The encoder's key prefix, e.g. "" or "bert.".</param>
    public ReferenceEncoder(IReadOnlyDictionary<string, Tensor> state, string prefix, BertConfig config)
    {
        foreach ((string key, Tensor value) in state)
        {
            using Tensor asDouble = value.detach().to(ScalarType.Float64).contiguous();
            _weights[key] = asDouble.data<double>().ToArray();
        }

        _prefix = prefix;
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _layers = config.NumHiddenLayers;
        _eps = config.LayerNormEps;
        _activation = ReferenceMath.Activation(config.HiddenAct);
    }

    /// <summary>The embedding output followed by each layer's output, each [sequence][hidden].</summary>
    public List<double[][]> Encode(long[] ids, long[] mask, long[] tokenTypes, long[] positions)
    {
        int length = ids.Length;
        var x = new double[length][];
        for (int t = 0; t < length; t++)
        {
            double[] word = Row(_prefix + "embeddings.word_embeddings.weight", ids[t]);
            double[] position = Row(_prefix + "embeddings.position_embeddings.weight", positions[t]);
            double[] type = Row(_prefix + "embeddings.token_type_embeddings.weight", tokenTypes[t]);
            var sum = new double[_hidden];
            for (int h = 0; h < _hidden; h++)
            {
                sum[h] = word[h] + position[h] + type[h];
            }

            x[t] = LayerNorm(_prefix + "embeddings.LayerNorm", sum);
        }

        var stages = new List<double[][]> { x };
        for (int layer = 0; layer < _layers; layer++)
        {
            x = Layer($"{_prefix}encoder.layer.{layer}.", x, mask);
            stages.Add(x);
        }

        return stages;
    }

    /// <summary>y = W x + b for the Linear named <paramref name="name"/> (weight [out, in]).</summary>
    public double[] Linear(string name, double[] input)
    {
        double[] weight = _weights[name + ".weight"];
        double[] bias = _weights[name + ".bias"];
        int outputs = bias.Length;
        int inputs = input.Length;
        Assert.Equal(outputs * inputs, weight.Length);
        var y = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double s = bias[o];
            for (int i = 0; i < inputs; i++)
            {
                s += weight[o * inputs + i] * input[i];
            }

            y[o] = s;
        }

        return y;
    }

    public static double[] Tanh(double[] x) => x.Select(Math.Tanh).ToArray();

    private double[][] Layer(string p, double[][] x, long[] mask)
    {
        int length = x.Length;
        int headSize = _hidden / _heads;
        double[][] q = x.Select(v => Linear(p + "attention.self.query", v)).ToArray();
        double[][] k = x.Select(v => Linear(p + "attention.self.key", v)).ToArray();
        double[][] v = x.Select(r => Linear(p + "attention.self.value", r)).ToArray();

        var context = new double[length][];
        for (int i = 0; i < length; i++)
        {
            context[i] = new double[_hidden];
            for (int head = 0; head < _heads; head++)
            {
                int offset = head * headSize;
                var scores = new double[length];
                double max = double.NegativeInfinity;
                for (int j = 0; j < length; j++)
                {
                    if (mask[j] == 0)
                    {
                        continue;
                    }

                    double dot = 0;
                    for (int d = 0; d < headSize; d++)
                    {
                        dot += q[i][offset + d] * k[j][offset + d];
                    }

                    scores[j] = dot / Math.Sqrt(headSize);
                    max = Math.Max(max, scores[j]);
                }

                double total = 0;
                var weights = new double[length];
                for (int j = 0; j < length; j++)
                {
                    weights[j] = mask[j] == 0 ? 0 : Math.Exp(scores[j] - max);
                    total += weights[j];
                }

                for (int j = 0; j < length; j++)
                {
                    for (int d = 0; d < headSize; d++)
                    {
                        context[i][offset + d] += weights[j] / total * v[j][offset + d];
                    }
                }
            }
        }

        var attended = new double[length][];
        var output = new double[length][];
        for (int t = 0; t < length; t++)
        {
            attended[t] = LayerNorm(p + "attention.output.LayerNorm", Add(Linear(p + "attention.output.dense", context[t]), x[t]));
            double[] expanded = Linear(p + "intermediate.dense", attended[t]).Select(_activation).ToArray();
            output[t] = LayerNorm(p + "output.LayerNorm", Add(Linear(p + "output.dense", expanded), attended[t]));
        }

        return output;
    }

    private double[] LayerNorm(string name, double[] x)
    {
        double[] gamma = _weights[name + ".weight"];
        double[] beta = _weights[name + ".bias"];
        double mean = x.Average();
        double variance = x.Select(e => (e - mean) * (e - mean)).Average();
        double scale = 1 / Math.Sqrt(variance + _eps);
        return x.Select((e, h) => (e - mean) * scale * gamma[h] + beta[h]).ToArray();
    }

    private double[] Row(string name, long index)
    {
        double[] table = _weights[name];
        return table.AsSpan((int)index * _hidden, _hidden).ToArray();
    }

    private static double[] Add(double[] a, double[] b) => a.Select((e, i) => e + b[i]).ToArray();
}
