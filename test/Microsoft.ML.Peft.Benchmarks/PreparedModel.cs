using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Adapters;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// A model made ready for one fine-tuning method: which parameters train, and for LoRA the PEFT wrapper that owns the
/// model. <see cref="Model"/> is what the training loop gets (the adapted model itself, so the library's tasks
/// recognise it).
/// </summary>
internal sealed class PreparedModel : IDisposable
{
    private readonly nn.Module _owner;

    private PreparedModel(nn.Module model, nn.Module owner, PeftModel? peft, string method)
    {
        Model = model;
        _owner = owner;
        Peft = peft;
        Method = method;
    }

    public nn.Module Model { get; }

    public PeftModel? Peft { get; }

    public string Method { get; }

    public long TrainableParameters => Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    public long AllParameters => Model.parameters().Sum(p => p.numel());

    public double TrainablePercent => 100.0 * TrainableParameters / AllParameters;

    /// <summary>Prepares <paramref name="model"/> (a BERT classifier or a ResNet) for <paramref name="method"/>.</summary>
    public static PreparedModel Prepare(nn.Module model, string method, IReadOnlyList<string>? loraTargets = null)
    {
        string head = model is ResNet ? "fc." : "classifier.";
        switch (method)
        {
            case FineTuningMethods.Full:
                SetTrainable(model, _ => true);
                return new PreparedModel(model, model, null, method);
            case FineTuningMethods.Head:
                SetTrainable(model, name => name.StartsWith(head, StringComparison.Ordinal));
                return new PreparedModel(model, model, null, method);
            case FineTuningMethods.Lora:
                LoraConfig config = model is ResNet
                    ? new LoraConfig { R = 8, LoraAlpha = 16, ModulesToSave = ["fc"] }
                    : new LoraConfig { TaskType = TaskType.SeqCls, R = 8, LoraAlpha = 16, TargetModules = ModuleSelector.FromNames(loraTargets ?? ["query", "value"]) };
                PeftModel peft = PeftModel.Create(model, config);
                return new PreparedModel(peft.Model, peft, peft, method);
            case FineTuningMethods.Houlsby:
                // Houlsby's placement and defaults (reduction 16, swish): BERT after attention.output.dense and
                // output.dense of every layer; ResNet a 1×1 bottleneck after every residual block.
                BottleneckAdapterConfig houlsby = model is ResNet
                    ? new BottleneckAdapterConfig { Variant = BottleneckVariant.Houlsby, ModulesToSave = ["fc"] }
                    : new BottleneckAdapterConfig { TaskType = TaskType.SeqCls, Variant = BottleneckVariant.Houlsby };
                PeftModel adapted = PeftModel.Create(model, houlsby);
                return new PreparedModel(adapted.Model, adapted, adapted, method);
            default:
                throw new ArgumentException($"Unknown method '{method}'; expected one of {string.Join(", ", FineTuningMethods.All)}.", nameof(method));
        }
    }

    /// <summary>
    /// The bytes a task needs to store besides the shared base model: for LoRA and adapters PEFT's
    /// <c>adapter_model.safetensors</c> (adapter and head), otherwise a safetensors file of the trainable parameters.
    /// </summary>
    public long AdapterBytes()
    {
        string folder = Path.Combine(Path.GetTempPath(), "peft-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            if (Peft is not null)
            {
                Peft.SavePretrained(folder);
                return new FileInfo(Path.Combine(folder, "adapter_model.safetensors")).Length;
            }

            string file = Path.Combine(folder, "trainable.safetensors");
            using var scope = NewDisposeScope();
            SafeTensors.Save(file, Model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal));
            return new FileInfo(file).Length;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public void Dispose() => _owner.Dispose();

    private static void SetTrainable(nn.Module model, Func<string, bool> trainable)
    {
        foreach ((string name, Parameter parameter) in model.named_parameters())
        {
            parameter.requires_grad = trainable(name);
        }
    }
}
