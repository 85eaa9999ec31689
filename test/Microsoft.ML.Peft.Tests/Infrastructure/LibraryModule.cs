using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.Peft.Tests.Infrastructure;

/// <summary>The library's compiled module, read with Mono.Cecil for tests that inspect its IL.</summary>
internal static class LibraryModule
{
    /// <summary>Reads Microsoft.ML.Peft.dll as the tests load it, resolving references from the test output folder; dispose it.</summary>
    public static ModuleDefinition Read() =>
        ModuleDefinition.ReadModule(
            typeof(Microsoft.ML.Peft.Checkpoints.ModuleWeights).Assembly.Location,
            new ReaderParameters { AssemblyResolver = Resolver() });

    /// <summary>Every call instruction in every method body of <paramref name="module"/>, with the method it is in.</summary>
    public static IEnumerable<(MethodDefinition Method, Instruction Instruction, MethodReference Called)> Calls(ModuleDefinition module) =>
        from method in module.GetTypes().SelectMany(t => t.Methods)
        where method.HasBody
        from instruction in method.Body.Instructions
        where instruction.Operand is MethodReference
        select (method, instruction, (MethodReference)instruction.Operand);

    private static DefaultAssemblyResolver Resolver()
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        return resolver;
    }
}
