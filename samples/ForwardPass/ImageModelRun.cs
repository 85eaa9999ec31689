using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Samples.ForwardPass;

/// <summary>Runs a torchvision ResNet checkpoint on images (eval mode, or one train-mode forward).</summary>
internal static class ImageModelRun
{
    public static int Run(string modelPath, string[] images, bool trainMode, string outputPath, AdapterOptions adapter)
    {
        if (images.Length == 0)
        {
            Console.Error.WriteLine("Give one or more --image files.");
            return 2;
        }

        if (trainMode && adapter.IsRequested)
        {
            Console.Error.WriteLine("--train-mode cannot be combined with the adapter options; --train-steps trains with eval-mode BatchNorm.");
            return 2;
        }

        using var scope = NewDisposeScope();
        Tensor pixels = new ImagePreprocessor().PreprocessBatch(images);
        if (adapter.IsRequested)
        {
            // The adapter check owns the model (disposing the PEFT model disposes it).
            ResNet adapted = ResNet.FromPretrained(modelPath);
            Console.WriteLine($"Architecture inferred from the checkpoint: {adapted.Config}");
            var inputs = new Dictionary<string, Tensor> { ["pixel_values"] = pixels };
            return AdapterCheck.Run(adapted, () => adapted.forward(pixels), taskType: null, modelPath, adapter, inputs, outputPath);
        }

        using var noGrad = no_grad();
        using ResNet model = ResNet.FromPretrained(modelPath);
        Console.WriteLine($"Architecture inferred from the checkpoint: {model.Config}");
        if (trainMode)
        {
            model.train();
        }
        else
        {
            model.eval();
        }

        var outputs = new Dictionary<string, Tensor> { ["pixel_values"] = pixels, ["logits"] = model.forward(pixels) };
        if (trainMode)
        {
            foreach ((string key, Tensor value) in model.state_dict().Where(kv => kv.Key.EndsWith("running_mean", StringComparison.Ordinal) || kv.Key.EndsWith("running_var", StringComparison.Ordinal)))
            {
                outputs[key] = value.clone();
            }
        }

        SafeTensors.Save(outputPath, outputs.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous()));
        Console.WriteLine($"logits {string.Join("x", outputs["logits"].shape)}; wrote {outputs.Count} tensors to {outputPath}.");
        return 0;
    }
}
