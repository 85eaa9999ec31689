using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tuners;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// The floating-point operations of one training step that the hardware really performs, counted analytically per
/// matrix product (2 FLOPs per multiply-add):
/// <list type="bullet">
/// <item>forward: 2·M·K·N for every Linear / Conv2d (im2col view: M = output positions, K = in·kh·kw, N = out);</item>
/// <item>backward, input gradient: the same again, but only when that layer's input requires a gradient (some
/// trainable parameter lies below it) — for the first layer above frozen embeddings / raw pixels autograd skips it;</item>
/// <item>backward, weight gradient: the same again, only when the layer's weight is trainable (frozen layers in LoRA,
/// adapter and head-only runs skip it);</item>
/// <item>BERT attention: forward Q·Kᵀ and P·V, 4·B·Sq·Sk·H per layer (Sq = Sk = S, except the last layer of a sequence
/// classifier, which computes the first token's query only); backward dQ, dK, dP, dV, 8·B·Sq·Sk·H per layer when any
/// of Q, K, V requires a gradient.</item>
/// </list>
/// So full fine-tuning of BERT is ≈ 6·(matmul weights)·tokens + 12·B·S²·H·layers, LoRA ≈ 4·(matmul weights)·tokens + the
/// same attention terms + its rank-r products, head-only ≈ 2·(matmul weights)·tokens + 4·B·S²·H·layers, less the last
/// layer's work on every token but the first (the forward hooks see its smaller inputs). Element-wise work
/// (GELU, LayerNorm, softmax, dropout, BatchNorm, the optimizer) is not counted: GFLOP/s figures are matmul-FLOPs per
/// second of the whole step, comparable with the matmul ceiling.
/// </summary>
internal sealed record TrainingFlops(double Forward, double InputGradients, double WeightGradients)
{
    public double Total => Forward + InputGradients + WeightGradients;

    public TrainingFlops Scale(double factor) => new(Forward * factor, InputGradients * factor, WeightGradients * factor);

    /// <summary>
    /// Counts a BERT-style classifier's step for [<paramref name="batch"/>, <paramref name="sequence"/>] inputs with forward
    /// hooks on every Linear (the BERT port calls its children with <c>call</c>, so hooks fire, LoRA's A and B included):
    /// one forward of a single row with the model's current <c>requires_grad</c> flags, scaled by the batch size.
    /// </summary>
    public static TrainingFlops ForBert(nn.Module model, Func<Tensor, Tensor> forward, int batch, int sequence, int hidden)
    {
        double forwardFlops = 0, inputFlops = 0, weightFlops = 0;
        var attentionNeedsBackward = new Dictionary<string, bool>(StringComparer.Ordinal);
        var queryTokens = new Dictionary<string, double>(StringComparer.Ordinal);
        var keyTokens = new Dictionary<string, double>(StringComparer.Ordinal);
        var removers = new List<Action>();
        foreach ((string name, nn.Module module) in model.named_modules())
        {
            if (module is not Linear linear)
            {
                continue;
            }

            int attention = name.IndexOf(".attention.self.", StringComparison.Ordinal);
            string? layer = attention >= 0 ? name[..attention] : null;
            // The query / key projection itself (a LoRA layer's base_layer, not its lora_A / lora_B).
            string? projection = layer is null || name.Contains(".lora_", StringComparison.Ordinal)
                ? null
                : name[(attention + ".attention.self.".Length)..].Split('.')[0];
            var handle = linear.register_forward_hook((_, input, output) =>
            {
                double macs = (double)input.numel() / linear.in_features * linear.in_features * linear.out_features;
                forwardFlops += 2 * macs;
                if (input.requires_grad)
                {
                    inputFlops += 2 * macs;
                }

                if (linear.weight!.requires_grad)
                {
                    weightFlops += 2 * macs;
                }

                if (layer is not null)
                {
                    attentionNeedsBackward[layer] = attentionNeedsBackward.GetValueOrDefault(layer) || output.requires_grad;
                    double tokens = (double)input.numel() / linear.in_features;
                    if (projection == "query")
                    {
                        queryTokens[layer] = tokens;
                    }
                    else if (projection == "key")
                    {
                        keyTokens[layer] = tokens;
                    }
                }

                return output;
            });
            removers.Add(handle.remove);
        }

        try
        {
            using var scope = NewDisposeScope();
            using Tensor ids = randint(1000, 2000, [1, sequence], ScalarType.Int64);
            forward(ids);
        }
        finally
        {
            removers.ForEach(r => r());
        }

        foreach ((string layer, bool needsBackward) in attentionNeedsBackward)
        {
            double layerForward = 4.0 * queryTokens.GetValueOrDefault(layer, sequence) * keyTokens.GetValueOrDefault(layer, sequence) * hidden;
            forwardFlops += layerForward;
            inputFlops += needsBackward ? 2 * layerForward : 0;
        }
        return new TrainingFlops(forwardFlops, inputFlops, weightFlops).Scale(batch);
    }

    /// <summary>
    /// Counts a torchvision-style ResNet's step for [<paramref name="batch"/>, 3, <paramref name="size"/>, <paramref name="size"/>]
    /// images by walking its layers (the port calls children with <c>forward</c>, so hooks would not fire), propagating
    /// spatial sizes and which activations require a gradient; LoRA convolutions count their base, A and B.
    /// </summary>
    public static TrainingFlops ForResNet(ResNet model, int batch, int size)
    {
        var counter = new ConvCounter();
        var children = Children(model);
        (long s, bool grad) = counter.Conv(children["conv1"], size, false);
        grad |= Trainable(children["bn1"]);
        s = (s + 2 - 3) / 2 + 1; // max pool 3×3, stride 2, padding 1
        foreach (Sequential stage in model.Stages)
        {
            foreach ((_, nn.Module block) in stage.named_children())
            {
                var parts = Children(block);
                (long branch, bool branchGrad) = (s, grad);
                foreach (string conv in new[] { "conv1", "conv2", "conv3" }.Where(parts.ContainsKey))
                {
                    (branch, branchGrad) = counter.Conv(parts[conv], branch, branchGrad);
                    branchGrad |= Trainable(parts["bn" + conv[^1]]);
                }

                bool identityGrad = grad;
                if (parts.TryGetValue("downsample", out nn.Module? downsample))
                {
                    var shortcut = Children(downsample);
                    (_, identityGrad) = counter.Conv(shortcut["0"], s, grad);
                    identityGrad |= Trainable(shortcut["1"]);
                }

                (s, grad) = (branch, branchGrad || identityGrad);
            }
        }

        Linear fc = model.Head;
        counter.Add(fc.in_features * fc.out_features, grad, fc.weight!.requires_grad);
        return counter.Result.Scale(batch);
    }

    private static Dictionary<string, nn.Module> Children(nn.Module module) =>
        module.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private static bool Trainable(nn.Module module) => module.parameters().Any(p => p.requires_grad);

    private sealed class ConvCounter
    {
        private double _forward, _input, _weight;

        public TrainingFlops Result => new(_forward, _input, _weight);

        public void Add(double macs, bool inputGrad, bool weightGrad)
        {
            _forward += 2 * macs;
            _input += inputGrad ? 2 * macs : 0;
            _weight += weightGrad ? 2 * macs : 0;
        }

        /// <summary>Counts a convolution (plain or LoRA-wrapped) on a square input of side <paramref name="size"/>; returns the output side and whether it requires a gradient.</summary>
        public (long Size, bool Grad) Conv(nn.Module module, long size, bool inputGrad)
        {
            Conv2d conv = module is TunerLayer tuner ? (Conv2d)tuner.BaseLayer : (Conv2d)module;
            long output = Side(conv, size);
            bool weightGrad = conv.weight!.requires_grad;
            Add(Macs(conv, output), inputGrad, weightGrad);
            bool outputGrad = inputGrad || weightGrad;
            if (module is TunerLayer)
            {
                var lora = module.named_modules().Where(m => m.module is Conv2d && m.name.StartsWith("lora_", StringComparison.Ordinal)).ToList();
                Conv2d? a = lora.FirstOrDefault(m => m.name.StartsWith("lora_A.", StringComparison.Ordinal)).module as Conv2d;
                Conv2d? b = lora.FirstOrDefault(m => m.name.StartsWith("lora_B.", StringComparison.Ordinal)).module as Conv2d;
                if (a is not null && b is not null)
                {
                    bool aGrad = a.weight!.requires_grad;
                    Add(Macs(a, output), inputGrad, aGrad);
                    Add(Macs(b, output), inputGrad || aGrad, b.weight!.requires_grad);
                    outputGrad |= aGrad || b.weight.requires_grad;
                }
            }

            return (output, outputGrad);
        }

        private static long Side(Conv2d conv, long size) =>
            ((size + (2 * conv.padding![0]) - (conv.dilation[0] * (conv.kernel_size[0] - 1)) - 1) / conv.stride[0]) + 1;

        private static double Macs(Conv2d conv, long outputSide) =>
            (double)outputSide * outputSide * conv.out_channels * (conv.in_channels / conv.groups) * conv.kernel_size[0] * conv.kernel_size[1];
    }
}
