using System.Runtime.CompilerServices;
using Mono.Cecil;

namespace Microsoft.ML.Peft.Build.Publicizer;

/// <summary>Rewrites accessibility in an assembly's metadata; nothing else changes.</summary>
internal static class AssemblyPublicizer
{
    /// <summary>Reads <paramref name="inputPath"/> and writes the publicized copy to <paramref name="outputPath"/> atomically.</summary>
    public static void Publicize(string inputPath, string outputPath, IReadOnlyList<string> searchDirectories)
    {
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(inputPath))!);
        foreach (string directory in searchDirectories)
        {
            resolver.AddSearchDirectory(directory);
        }

        var parameters = new ReaderParameters { AssemblyResolver = resolver, ReadingMode = ReadingMode.Immediate };
        using (AssemblyDefinition assembly = AssemblyDefinition.ReadAssembly(inputPath, parameters))
        {
            foreach (TypeDefinition type in assembly.MainModule.GetTypes())
            {
                PublicizeType(type);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            string temporary = outputPath + ".tmp";
            assembly.Write(temporary);
            File.Move(temporary, outputPath, overwrite: true);
        }
    }

    private static void PublicizeType(TypeDefinition type)
    {
        if (type.IsNested)
        {
            type.IsNestedPublic = true;
        }
        else
        {
            type.IsPublic = true;
        }

        // An event's backing field has the event's name; exposing it would make the two ambiguous.
        var eventNames = new HashSet<string>(type.Events.Select(e => e.Name), StringComparer.Ordinal);

        foreach (MethodDefinition method in type.Methods)
        {
            PublicizeMethod(method);
        }

        foreach (FieldDefinition field in type.Fields)
        {
            if (!field.IsPublic && !eventNames.Contains(field.Name) && !IsCompilerGenerated(field))
            {
                field.IsPublic = true;
            }
        }
    }

    private static void PublicizeMethod(MethodDefinition method)
    {
        if (method.IsPublic)
        {
            return;
        }

        // Explicit interface implementations stay private: their names are not callable C# names.
        if (method.IsPrivate && method.HasOverrides)
        {
            return;
        }

        if (IsCompilerGenerated(method) && method.IsPrivate)
        {
            return;
        }

        if (method.IsVirtual && !method.IsFinal)
        {
            // Overridable non-public members (private protected, protected internal, internal virtual) become protected,
            // so a subclass in another assembly overrides them with the accessibility the runtime expects.
            method.IsFamily = true;
        }
        else
        {
            method.IsPublic = true;
        }
    }

    private static bool IsCompilerGenerated(ICustomAttributeProvider member) =>
        member.CustomAttributes.Any(a => a.AttributeType.FullName == typeof(CompilerGeneratedAttribute).FullName);
}
