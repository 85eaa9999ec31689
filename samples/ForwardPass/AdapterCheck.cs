using System.Globalization;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Samples.ForwardPass;

/// <summary>
/// Puts a PEFT adapter on a model (loaded from a PEFT folder, or new), writes its logits with the adapter on, merged and
/// off, optionally trains it a few AdamW steps writing every parameter and gradient under its adapter-file key, and
/// optionally saves it, so that <c>peft_crosscheck.py</c> can repeat each step with Python PEFT and compare.
/// </summary>
/// <remarks>
/// The order is fixed, and the Python script follows it: base_logits (adapter disabled), logits, merged_logits (merge,
/// forward, unmerge), training, trained_logits, save. Everything runs in eval mode.
/// </remarks>
internal static class AdapterCheck
{
    public static int Run<TModel>(
        TModel model,
        Func<Tensor> forward,
        TaskType? taskType,
        string baseModelPath,
        AdapterOptions options,
        Dictionary<string, Tensor> outputs,
        string outputPath)
        where TModel : nn.Module
    {
        if (options.AdapterFolder is not null && (options.LoraRank is not null || options.LoraAlpha is not null || options.LoraTargets is not null || options.ModulesToSave is not null))
        {
            Console.Error.WriteLine("--lora-r/--lora-alpha/--lora-targets/--modules-to-save describe a new adapter; they cannot be combined with --adapter.");
            model.Dispose();
            return 2;
        }

        // Eval mode before the adapter goes in: new adapter layers take the mode of the layer they wrap.
        model.eval();
        using PeftModel<TModel> peft = Attach(model, taskType, baseModelPath, options);
        peft.eval();
        Console.WriteLine($"Adapter: {peft.ActivePeftConfig.PeftType}, targets {peft.ActivePeftConfig.TargetModules}, " +
                          $"modules_to_save [{string.Join(", ", peft.ActivePeftConfig.ModulesToSave ?? [])}]");
        peft.PrintTrainableParameters();

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["adapter"] = options.AdapterFolder ?? "new",
            ["train_steps"] = Invariant(options.TrainSteps),
        };

        using (no_grad())
        {
            using (peft.DisableAdapter())
            {
                outputs["base_logits"] = forward();
            }

            outputs["logits"] = forward();
            peft.Merge();
            outputs["merged_logits"] = forward();
            peft.Unmerge();
        }

        if (options.TrainSteps > 0)
        {
            Tensor labels = tensor(options.ParseLabels(outputs["logits"].shape[0], outputs["logits"].shape[^1]), ScalarType.Int64);
            outputs["labels"] = labels;
            var adamW = new AdamWOptions { WeightDecay = options.WeightDecay };
            metadata["lr"] = Invariant(options.LearningRate);
            metadata["weight_decay"] = Invariant(adamW.WeightDecay);
            metadata["betas"] = $"{Invariant(adamW.Beta1)},{Invariant(adamW.Beta2)}";
            metadata["eps"] = Invariant(adamW.Epsilon);
            Train(peft, forward, labels, options.TrainSteps, options.LearningRate, adamW, outputs);
            using (no_grad())
            {
                outputs["trained_logits"] = forward();
            }
        }

        if (options.SaveFolder is not null)
        {
            peft.SavePretrained(options.SaveFolder);
            Console.WriteLine($"Saved the adapter to {options.SaveFolder}.");
        }

        SafeTensors.Save(outputPath, outputs.ToDictionary(kv => kv.Key, kv => kv.Value.detach().contiguous()), metadata);
        foreach (string name in new[] { "base_logits", "logits", "merged_logits", "trained_logits" }.Where(outputs.ContainsKey))
        {
            Console.WriteLine($"{name}:");
            Console.WriteLine(outputs[name].ToString(TorchSharp.TensorStringStyle.Numpy));
        }

        Console.WriteLine($"Wrote {outputs.Count} tensors to {outputPath}.");
        return 0;
    }

    private static PeftModel<TModel> Attach<TModel>(TModel model, TaskType? taskType, string baseModelPath, AdapterOptions options)
        where TModel : nn.Module
    {
        if (options.AdapterFolder is { } folder)
        {
            return PeftModel.FromPretrained(model, folder, isTrainable: options.TrainSteps > 0);
        }

        torch.manual_seed(options.Seed);
        return PeftModel.Create(model, options.NewLoraConfig(taskType, baseModelPath));
    }

    /// <summary>
    /// Full-batch AdamW steps with one parameter group (torch.optim.AdamW over the trainable parameters): weight decay,
    /// when not zero, applies to every trainable parameter, biases included.
    /// </summary>
    private static void Train(PeftModel peft, Func<Tensor> forward, Tensor labels, int steps, double learningRate, AdamWOptions adamW, Dictionary<string, Tensor> outputs)
    {
        IReadOnlyList<(string Key, Parameter Parameter)> trainable = TrainableByAdapterKey(peft);
        Console.WriteLine($"Training {trainable.Count} tensors for {steps} step(s): {string.Join(", ", trainable.Take(4).Select(t => t.Key))}{(trainable.Count > 4 ? ", ..." : "")}");
        using var optimizer = new AdamWOptimizer(trainable, learningRate, adamW, excludeFromWeightDecay: (_, _) => false);
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            Tensor loss = nn.functional.cross_entropy(forward(), labels);
            loss.backward();
            outputs[$"step{step}.loss"] = loss.detach().clone().MoveToOuterDisposeScope();
            foreach ((string key, Parameter parameter) in trainable)
            {
                using Tensor? grad = parameter.grad;
                outputs[$"step{step}.grad.{key}"] = (grad is null ? zeros_like(parameter) : grad.clone()).MoveToOuterDisposeScope();
            }

            optimizer.Step();
            foreach ((string key, Parameter parameter) in trainable)
            {
                outputs[$"step{step}.param.{key}"] = parameter.detach().clone().MoveToOuterDisposeScope();
            }

            Console.WriteLine($"step {step}: loss {loss.item<float>().ToString("R", CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// Every trainable parameter under its key in <c>adapter_model.safetensors</c>. The keys come from the library's own
    /// adapter state dict (<see cref="PeftModel.GetAdapterStateDict"/>, what <c>SavePretrained</c> writes), whose values are
    /// the live parameter objects (TorchSharp's <c>state_dict</c> hands out the module's own <see cref="Parameter"/> instances),
    /// so a parameter is matched to its key by identity.
    /// </summary>
    /// <exception cref="InvalidOperationException">A trainable parameter is not part of the saved adapter.</exception>
    internal static IReadOnlyList<(string Key, Parameter Parameter)> TrainableByAdapterKey(PeftModel peft)
    {
        var keyByTensor = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach ((string key, Tensor tensor) in peft.GetAdapterStateDict())
        {
            keyByTensor.TryAdd(tensor, key);
        }

        var result = new List<(string, Parameter)>();
        foreach ((string name, Parameter parameter) in peft.named_parameters().Where(p => p.parameter.requires_grad))
        {
            result.Add(keyByTensor.TryGetValue(parameter, out string? key)
                ? (key, parameter)
                : throw new InvalidOperationException($"Trainable parameter '{name}' is not among the tensors the adapter file holds; it would not be saved."));
        }

        return result;
    }

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
