using Mono.Cecil;

namespace Microsoft.ML.Peft.Tests.Infrastructure;

/// <summary>The library's compiled module, read with Mono.Cecil for tests that inspect its IL.</summary>
internal static class LibraryModule
{
    /// <summary>Reads Microsoft.ML.Peft.dll as the tests load it, resolving references from the test output folder; dispose it.</summary>
    public static ModuleDefinition Read() =>
        ModuleDefinition.ReadModule(
            typeof(Microsoft.ML.Peft.Checkpoints.ModuleWeights).Assembly.Location,
            new ReaderParameters { AssemblyResolver = Resolver() });

    private static DefaultAssemblyResolver Resolver()
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        return resolver;
    }
}
