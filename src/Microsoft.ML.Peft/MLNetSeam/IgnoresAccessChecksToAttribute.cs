// The ML.NET seam: the only folder of the library that may touch ML.NET's non-public members.
// We compile against publicized copies of Microsoft.ML.Core and Microsoft.ML.Data (build/MLNetSeam.targets);
// at run time the runtime honours this attribute and lets these two assemblies' internals be used.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices;

/// <summary>
/// Recognised by the .NET runtime (not by the C# compiler): the assembly that carries it may access non-public
/// members of the named assembly. Declared here because the runtime looks it up by name.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    /// <summary>Names the assembly whose access checks are skipped.</summary>
    public IgnoresAccessChecksToAttribute(string assemblyName)
    {
        AssemblyName = assemblyName;
    }

    /// <summary>The simple name of the assembly.</summary>
    public string AssemblyName { get; }
}
