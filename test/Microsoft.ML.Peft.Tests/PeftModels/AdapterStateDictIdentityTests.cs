using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels;

/// <summary>
/// <see cref="PeftModel.GetAdapterStateDict"/> hands out the trainable parameters themselves, so a caller can name each
/// trainable parameter (and its gradient) by its key in <c>adapter_model.safetensors</c>; samples/ForwardPass relies on it
/// to write per-step parameters and gradients under PEFT's keys.
/// </summary>
public sealed class AdapterStateDictIdentityTests
{
    public static TheoryData<string> Configs => ["lora + head", "bias all", "dora"];

    [Theory]
    [MemberData(nameof(Configs))]
    public void EveryTrainableParameterIsAValueOfTheAdapterStateDict(string name)
    {
        LoraConfig config = name switch
        {
            "lora + head" => new LoraConfig { R = 2, TargetModules = ["query", "value"] },
            "bias all" => new LoraConfig { R = 2, TargetModules = ["query"], Bias = LoraBias.All },
            _ => new LoraConfig { R = 2, TargetModules = ["query"], UseDora = true, ModulesToSave = [] },
        };
        using var peft = PeftModel.Create(new TinyBert(), config with { InitLoraWeights = LoraInitialization.Random });
        IReadOnlyDictionary<string, Tensor> state = peft.GetAdapterStateDict();
        var values = new HashSet<Tensor>(state.Values, ReferenceEqualityComparer.Instance);
        List<Parameter> trainable = peft.TrainableParameters().ToList();

        Assert.NotEmpty(trainable);
        Assert.All(trainable, p => Assert.Contains(p, values));

        // And so each key sees the gradient of its parameter.
        using var scope = NewDisposeScope();
        using Tensor ids = TinyBert.Ids();
        peft.Model.forward(ids).square().sum().backward();
        var withGradient = state.Where(kv => kv.Value.requires_grad).ToList();
        Assert.Equal(trainable.Count, withGradient.Count);
        Assert.All(withGradient, kv => Assert.NotNull(kv.Value.grad));
    }
}
