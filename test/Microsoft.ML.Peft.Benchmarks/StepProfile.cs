using System.Diagnostics;
using Microsoft.ML.Peft.Models.Bert;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>(internal) Where a BERT step's time goes: the model's passes and single kernels at the model's shapes.</summary>
internal static class StepProfile
{
    public static void Run(string modelName, int batch, int sequence, int threads)
    {
        set_num_threads(threads);
        BertConfig config = BenchmarkModels.BertConfigFor(modelName, 2);
        using var model = new BertForSequenceClassification(config);
        using var ids = randint(1000, 2000, [batch, sequence], ScalarType.Int64);
        using var mask = ones(batch, sequence, ScalarType.Int64);
        int h = config.HiddenSize;
        int heads = config.NumAttentionHeads;
        long tokens = (long)batch * sequence;

        model.eval();
        using (no_grad())
        {
            Time("eval fwd (no grad)", () => model.Forward(ids, mask).sum().item<float>());
        }

        model.train();
        using (no_grad())
        {
            Time("train-mode fwd (no grad)", () => model.Forward(ids, mask).sum().item<float>());
        }

        Time("train fwd", () => model.Forward(ids, mask).sum().item<float>());
        Time("train fwd+bwd", () => model.Forward(ids, mask).sum().backward());
        var trainable = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        foreach ((_, var parameter) in trainable)
        {
            using var noGrad = no_grad();
            parameter.grad = randn_like(parameter).mul_(1e-3);
        }

        using (var optimizer = new Training.Optimization.AdamWOptimizer(trainable, 1e-4))
        {
            Time("AdamW step (all parameters)", () => optimizer.Step());
            Time("clip by global norm", () => Training.Optimization.GradientClipping.ClipByGlobalNorm(trainable.Select(p => (Tensor)p.parameter), 1.0));
        }

        foreach ((_, var parameter) in trainable)
        {
            parameter.grad = null;
        }

        Kernels(ScalarType.Float32, config, batch, sequence);
        Kernels(ScalarType.BFloat16, config, batch, sequence);
    }

    /// <summary>Single kernels at the model's shapes in <paramref name="dtype"/> (bf16 is what mixed precision runs the frozen base in).</summary>
    private static void Kernels(ScalarType dtype, BertConfig config, int batch, int sequence)
    {
        int h = config.HiddenSize;
        int heads = config.NumAttentionHeads;
        long tokens = (long)batch * sequence;
        string t = dtype == ScalarType.BFloat16 ? "bf16" : "fp32";
        using var x = randn(tokens, h).to(dtype);
        using var w = randn(h, h).to(dtype);
        using var wi = randn(config.IntermediateSize, h).to(dtype);
        Time($"{t} mm [{tokens}x{h}]x[{h}x{h}]", () => matmul(x, w), flops: 2.0 * tokens * h * h);
        Time($"{t} linear [{tokens}x{h}]->[{config.IntermediateSize}]", () => nn.functional.linear(x, wi), flops: 2.0 * tokens * h * config.IntermediateSize);
        using var q = randn(batch, heads, sequence, h / heads).to(dtype);
        using var additive = zeros(batch, 1, 1, sequence).to(dtype);
        Time($"{t} attention scores q·kT", () => matmul(q, q.transpose(-2, -1)), flops: 2.0 * batch * heads * sequence * sequence * (h / heads));
        using var scores = randn(batch, heads, sequence, sequence).to(dtype);
        Time($"{t} softmax [{batch}x{heads}x{sequence}x{sequence}]", () => scores.softmax(-1));
        Time($"{t} sdpa", () => nn.functional.scaled_dot_product_attention(q, q, q));
        Time($"{t} sdpa mask", () => nn.functional.scaled_dot_product_attention(q, q, q, additive));
        Time($"{t} sdpa mask dropout", () => nn.functional.scaled_dot_product_attention(q, q, q, additive, p: 0.1));
        using var big = randn(tokens, config.IntermediateSize).to(dtype);
        Time($"{t} gelu [{tokens}x{config.IntermediateSize}]", () => nn.functional.gelu(big));
        Time($"{t} libtorch dropout", () => nn.functional.dropout(big, 0.1, true));
        Time($"{t} FastDropout", () => Microsoft.ML.Peft.Models.Common.FastDropout.Apply(big, 0.1, training: true));
        Time($"{t} cast to the other float type", () => big.to(dtype == ScalarType.BFloat16 ? ScalarType.Float32 : ScalarType.BFloat16));
        using var norm = nn.LayerNorm(h);
        Time($"{t} layernorm (fp32 weights)", () => norm.forward(x));
    }

    private static void Time(string label, Action action, double flops = 0, int repeats = 3)
    {
        double seconds = Measurement.MedianSeconds(
            () =>
            {
                using var scope = NewDisposeScope();
                action();
            },
            warmup: 1,
            repeats: repeats);
        Console.WriteLine($"{label,-44} {seconds * 1000,9:F1} ms" + (flops > 0 ? $"  {flops / seconds / 1e9,7:F1} GFLOP/s" : ""));
    }
}
