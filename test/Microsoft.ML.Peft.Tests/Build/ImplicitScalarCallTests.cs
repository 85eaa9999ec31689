using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.Peft.Tests.Build;

/// <summary>
/// The library never calls the TorchSharp overloads that create a Scalar implicitly and pass only its handle to
/// libtorch (tensor + tensor, tensor × number, <c>add(Tensor)</c>, <c>add_(Tensor)</c>, <c>add(Scalar)</c>, <c>add_(Scalar)</c>: their
/// alpha = 1): the garbage collector can free such a Scalar while the native call still reads it, which crashed ResNet
/// training at random steps. <c>TensorScaling.Plus</c>/<c>PlusInPlace</c> pass a rooted one instead.
/// </summary>
public sealed class ImplicitScalarCallTests
{
    [Fact]
    public void TheLibraryUsesNoTensorAdditionWithAnImplicitAlpha()
    {
        string libraryPath = typeof(Microsoft.ML.Peft.Checkpoints.ModuleWeights).Assembly.Location;
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        using ModuleDefinition library = ModuleDefinition.ReadModule(libraryPath, new ReaderParameters { AssemblyResolver = resolver });

        var offenders = new List<string>();
        foreach (MethodDefinition method in library.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is MethodReference called && IsImplicitAlphaAddition(called))
                {
                    offenders.Add($"{method.DeclaringType.FullName}.{method.Name} calls {called.FullName}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "Tensor additions with an implicit alpha Scalar:\n" + string.Join('\n', offenders.Distinct()));
    }

    private static bool IsImplicitAlphaAddition(MethodReference called)
    {
        if (called.DeclaringType.FullName != "TorchSharp.torch/Tensor")
        {
            return false;
        }

        return called.Name switch
        {
            "add" or "add_" => called.Parameters.Count == 1,
            "op_Addition" => true,
            // tensor * 2.0 and the like: the number becomes an implicit Scalar (TensorScaling.Scaled/Minus pass a disposed one).
            "op_Multiply" or "op_Division" or "op_Subtraction" => called.Parameters.Any(p => p.ParameterType.FullName != "TorchSharp.torch/Tensor"),
            _ => false,
        };
    }
}
