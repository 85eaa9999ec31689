using Microsoft.ML.Peft.Tests.PeftModels.Support;
using Microsoft.ML.Peft.Tuners.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Tuners.Lora;

/// <summary>
/// DoRA on dense layers against its definition: y = m / ‖W + s·B·A‖ ⊙ x(W + s·B·A)ᵀ + b with the norm taken per output
/// row and treated as a constant in the backward pass (PEFT's DoraLinearLayer).
/// </summary>
public sealed class DoraTests
{
    private const string Query = "bert.encoder.layer.0.attention.self.query";

    [Fact]
    public void MagnitudeStartsAsTheRowNormsOfTheAdaptedWeight()
    {
        torch.manual_seed(31);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig
        {
            R = 4, LoraAlpha = 8, UseDora = true, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        var weight = ((Linear)layer.BaseLayer).weight!;
        var magnitude = peft.Model.get_parameter($"{Query}.lora_magnitude_vector.default.weight")!;

        using Tensor adapted = weight + layer.WeightB("default").matmul(layer.WeightA("default")) * 2.0;
        Assert.Equal([16L], magnitude.shape);
        TensorAssert.Close(adapted.square().sum(1).sqrt(), magnitude, 1e-5);
    }

    [Fact]
    public void ForwardAndGradientsMatchTheDefinitionWithDetachedNorm()
    {
        torch.manual_seed(32);
        var model = new TinyBert();
        using var peft = PeftModel.Create(model, new LoraConfig
        {
            R = 4, LoraAlpha = 4, UseDora = true, TargetModules = ["query"], InitLoraWeights = LoraInitialization.Random,
        });
        var layer = (LoraLinear)peft.BaseModel.TunerLayers[Query];
        var linear = (Linear)layer.BaseLayer;
        var magnitude = peft.Model.get_parameter($"{Query}.lora_magnitude_vector.default.weight")!;
        using (no_grad())
        {
            magnitude.mul_(torch.linspace(0.5, 1.5, 16));
        }

        using Tensor x = torch.randn(5, 16);
        using Tensor actual = layer.forward(x);
        using (Tensor loss = actual.square().sum())
        {
            loss.backward();
        }

        // The reference with its own leaf copies of A, B and m.
        using Tensor a = layer.WeightA("default").detach().clone().requires_grad_();
        using Tensor b = layer.WeightB("default").detach().clone().requires_grad_();
        using Tensor m = magnitude.detach().clone().requires_grad_();
        using Tensor adapted = linear.weight! + b.matmul(a);
        using Tensor norm = adapted.square().sum(1).sqrt().detach();
        using Tensor expected = (m / norm).view(1, -1) * x.matmul(adapted.t()) + linear.bias!;
        using (Tensor loss = expected.square().sum())
        {
            loss.backward();
        }

        TensorAssert.Close(expected, actual, 1e-5);
        TensorAssert.Close(a.grad!, layer.WeightA("default").grad!, 1e-4);
        TensorAssert.Close(b.grad!, layer.WeightB("default").grad!, 1e-4);
        TensorAssert.Close(m.grad!, magnitude.grad!, 1e-4);
        Assert.Null(linear.weight!.grad);
    }

    [Fact]
    public void DoraMagnitudeIsTrainedAndCountedAsAdapterParameter()
    {
        torch.manual_seed(33);
        using var peft = PeftModel.Create(new TinyBert(), new LoraConfig { R = 2, UseDora = true, TargetModules = ["query"], ModulesToSave = [] });

        // 2 layers × (A 2·16 + B 16·2 + m 16).
        Assert.Equal(2 * (32 + 32 + 16), peft.GetTrainableParameterReport().TrainableParameters);
    }
}
