using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>Seeded random weights and inputs for ResNet tests, with BatchNorm statistics far from their defaults.</summary>
internal static class ResNetTestWeights
{
    /// <summary>
    /// Overwrites every state-dict entry of <paramref name="module"/>: convolutions and the head scaled normals,
    /// BN weight in [0.5, 1.5], bias and running mean in [-0.5, 0.5], running variance in [0.5, 2], batches tracked 3.
    /// </summary>
    public static void Randomize(nn.Module module, int seed)
    {
        var random = new Random(seed);
        Dictionary<string, Tensor> state = module.state_dict();
        using var noGrad = no_grad();
        foreach (var (key, tensor) in state)
        {
            if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            {
                tensor.fill_(3);
                continue;
            }

            string owner = key[..key.LastIndexOf('.')];
            bool isNorm = state.ContainsKey(owner + ".running_mean");
            long count = tensor.numel();
            long fanIn = tensor.dim() > 1 ? count / tensor.shape[0] : 1;
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                values[i] = key switch
                {
                    _ when key.EndsWith(".running_mean", StringComparison.Ordinal) => Uniform(random, -0.5, 0.5),
                    _ when key.EndsWith(".running_var", StringComparison.Ordinal) => Uniform(random, 0.5, 2.0),
                    _ when isNorm && key.EndsWith(".weight", StringComparison.Ordinal) => Uniform(random, 0.5, 1.5),
                    _ when isNorm => Uniform(random, -0.5, 0.5),
                    _ when tensor.dim() == 1 => Uniform(random, -0.1, 0.1),
                    _ => (float)(Normal(random) * Math.Sqrt(2.0 / fanIn)),
                };
            }

            using Tensor source = torch.tensor(values, tensor.shape);
            tensor.copy_(source);
        }
    }

    /// <summary>Uniform values in [-1, 1) of the given shape, seeded.</summary>
    public static float[] Input(long[] shape, int seed)
    {
        var random = new Random(seed);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Uniform(random, -1, 1);
        }

        return values;
    }

    /// <summary>The module's state dict as double-precision arrays, for the reference implementation.</summary>
    public static Dictionary<string, ReferenceTensor> ToReference(nn.Module module) =>
        module.state_dict().ToDictionary(
            kv => kv.Key,
            kv =>
            {
                using Tensor asDouble = kv.Value.detach().to(ScalarType.Float64).contiguous();
                return new ReferenceTensor(asDouble.data<double>().ToArray(), kv.Value.shape);
            });

    /// <summary>Reads a float tensor into a double array.</summary>
    public static double[] ToDoubles(Tensor tensor)
    {
        using Tensor asDouble = tensor.detach().to(ScalarType.Float64).contiguous();
        return asDouble.data<double>().ToArray();
    }

    /// <summary>Whether two tensors have the same shape and exactly the same values.</summary>
    public static bool SameValues(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
        {
            return false;
        }

        using Tensor equal = a.eq(b);
        using Tensor all = equal.all();
        return all.item<bool>();
    }

    private static float Uniform(Random random, double low, double high) => (float)(low + (high - low) * random.NextDouble());

    private static double Normal(Random random)
    {
        // Box–Muller; 1 - NextDouble() keeps the logarithm finite.
        double u = 1.0 - random.NextDouble();
        double v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
