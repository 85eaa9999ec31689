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
        using ModuleDefinition library = LibraryModule.Read();

        List<string> offenders = LibraryModule.Calls(library)
            .Where(c => IsImplicitAlphaAddition(c.Called))
            .Select(c => $"{c.Method.DeclaringType.FullName}.{c.Method.Name} calls {c.Called.FullName}")
            .ToList();

        Assert.True(offenders.Count == 0, "Tensor additions with an implicit alpha Scalar:\n" + string.Join('\n', offenders.Distinct()));
    }

    [Fact]
    public void EveryScalarTheLibraryConvertsIsHeldInALocal()
    {
        using ModuleDefinition library = LibraryModule.Read();

        // A number converted to a Scalar and passed straight to a call (t.mul(2.0)) is the race; one stored in a local
        // (using Scalar s = 2.0) lives, and is disposed, in the method's scope.
        List<string> offenders = LibraryModule.Calls(library)
            .Where(c => IsScalarConversion(c.Called) && !IsStore(c.Instruction.Next))
            .Select(c => $"{c.Method.DeclaringType.FullName}.{c.Method.Name} passes {c.Called.FullName} straight on")
            .ToList();

        Assert.True(offenders.Count == 0, "Scalars converted without a local:\n" + string.Join('\n', offenders.Distinct()));
    }

    private static bool IsScalarConversion(MethodReference called) =>
        called.ReturnType.FullName == "TorchSharp.Scalar" && (called.Name is "op_Implicit" or "ToScalar");

    private static bool IsStore(Instruction? next) =>
        next is not null && (next.OpCode.Code is Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2 or Code.Stloc_3
            or Code.Stsfld or Code.Stfld);

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
