using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// transformers' <c>_init_weights</c> for BERT-style models: Linear and Embedding weights ~ N(0, initializer_range),
/// biases 0, the padding row of an embedding 0, LayerNorm weight 1 and bias 0. Heads that a checkpoint does not provide
/// start from these values, as in transformers.
/// </summary>
internal static class HuggingFaceInitialization
{
    public static void InitializeLinearsAndLayerNorms(nn.Module module, double initializerRange)
    {
        using var noGrad = no_grad();
        // TorchSharp's named_modules() leaves out the module itself.
        foreach (nn.Module child in module.named_modules().Select(p => p.module).Prepend(module))
        {
            switch (child)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight, 0.0, initializerRange);
                    if (linear.bias is not null)
                    {
                        nn.init.zeros_(linear.bias);
                    }

                    break;
                case LayerNorm layerNorm:
                    if (layerNorm.weight is not null)
                    {
                        nn.init.ones_(layerNorm.weight);
                    }

                    if (layerNorm.bias is not null)
                    {
                        nn.init.zeros_(layerNorm.bias);
                    }

                    break;
            }
        }
    }

    public static void InitializeEmbedding(Embedding embedding, double initializerRange, long? paddingIndex)
    {
        using var noGrad = no_grad();
        Tensor weight = embedding.weight ?? throw new InvalidOperationException("Embedding has no weight.");
        nn.init.normal_(weight, 0.0, initializerRange);
        if (paddingIndex is long index)
        {
            using Tensor paddingRow = weight[index];
            paddingRow.zero_();
        }
    }
}
