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

        using var x = randn(tokens, h);
        using var w = randn(h, h);
        using var wi = randn(config.IntermediateSize, h);
        Time($"mm [{tokens}x{h}]x[{h}x{h}]", () => matmul(x, w), flops: 2.0 * tokens * h * h);
        Time($"linear [{tokens}x{h}]->[{config.IntermediateSize}]", () => nn.functional.linear(x, wi), flops: 2.0 * tokens * h * config.IntermediateSize);
        using var q = randn(batch, heads, sequence, h / heads);
        using var additive = zeros(batch, 1, 1, sequence);
        Time("sdpa", () => nn.functional.scaled_dot_product_attention(q, q, q));
        Time("sdpa mask", () => nn.functional.scaled_dot_product_attention(q, q, q, additive));
        Time("sdpa mask dropout", () => nn.functional.scaled_dot_product_attention(q, q, q, additive, p: 0.1));
        using var big = randn(tokens, config.IntermediateSize);
        Time("sdpa dropout", () => nn.functional.scaled_dot_product_attention(q, q, q, p: 0.1));
        Time("gelu", () => nn.functional.gelu(big));
        Time("bernoulli_", () => empty_like(big).bernoulli_(0.9));
        Time("rand_like", () => rand_like(big));
        Time("rand_like > p", () => rand_like(big).gt_(0.1));
        Time("dropout", () => nn.functional.dropout(big, 0.1, true));
        using var norm = nn.LayerNorm(h);
        Time("layernorm", () => norm.forward(x));
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
