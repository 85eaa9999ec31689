using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit.Abstractions;

namespace Microsoft.ML.Peft.Tests.MLNetSeam;

/// <summary>
/// Lists every non-public ML.NET member that Microsoft.ML.Peft uses (we compile against publicized copies of
/// Microsoft.ML.Core and Microsoft.ML.Data), checks that each still resolves against the ML.NET assemblies that
/// load at run time, and that all such uses stay inside the seam namespace.
/// </summary>
public sealed class MLNetSeamMemberTests
{
    private const string SeamNamespace = "Microsoft.ML.Peft.MLNetSeam";
    private static readonly string[] MLNetAssemblies = { "Microsoft.ML.Core", "Microsoft.ML.Data" };

    private readonly ITestOutputHelper _output;

    public MLNetSeamMemberTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void EveryNonPublicMLNetMemberWeUseResolvesAndStaysInTheSeam()
    {
        using ModuleDefinition library = LibraryModule.Read();

        var uses = new List<(string Member, string UsedIn, bool Resolved)>();
        foreach (TypeDefinition type in library.GetTypes())
        {
            foreach ((MemberReference reference, string usedIn) in References(type))
            {
                if (!IsMLNet(reference))
                {
                    continue;
                }

                IMemberDefinition? resolved = TryResolve(reference);
                if (resolved is null)
                {
                    uses.Add((reference.FullName, usedIn, false));
                }
                else if (!IsVisibleOutsideMLNet(resolved))
                {
                    uses.Add((resolved.FullName, usedIn, true));
                }
            }
        }

        var distinct = uses.Distinct().OrderBy(u => u.Member, StringComparer.Ordinal).ToList();
        foreach (var group in distinct.GroupBy(u => u.Member))
        {
            _output.WriteLine($"{group.Key}  <-  {string.Join(", ", group.Select(u => u.UsedIn).Distinct().Take(3))}");
        }

        Assert.NotEmpty(distinct); // the seam exists, so the list cannot be empty: an empty list means this check is broken
        Assert.Empty(distinct.Where(u => !u.Resolved).Select(u => $"{u.Member} (used in {u.UsedIn}) no longer resolves"));
        Assert.Empty(distinct.Where(u => !u.UsedIn.StartsWith(SeamNamespace + ".", StringComparison.Ordinal) && !u.UsedIn.StartsWith("<assembly>", StringComparison.Ordinal))
            .Select(u => $"{u.Member} is used outside the seam, in {u.UsedIn}"));
    }

    private static IEnumerable<(MemberReference Reference, string UsedIn)> References(TypeDefinition type)
    {
        string where = type.FullName;
        if (type.BaseType is not null)
        {
            yield return (type.BaseType, where);
        }

        foreach (InterfaceImplementation implementation in type.Interfaces)
        {
            yield return (implementation.InterfaceType, where);
        }

        foreach (FieldDefinition field in type.Fields)
        {
            yield return (field.FieldType, where);
        }

        foreach (MethodDefinition method in type.Methods)
        {
            string inMethod = $"{where}::{method.Name}";
            yield return (method.ReturnType, inMethod);
            foreach (ParameterDefinition parameter in method.Parameters)
            {
                yield return (parameter.ParameterType, inMethod);
            }

            foreach (MethodReference overridden in OverriddenMLNetMethods(method))
            {
                yield return (overridden, inMethod);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (VariableDefinition variable in method.Body.Variables)
            {
                yield return (variable.VariableType, inMethod);
            }

            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is MemberReference member)
                {
                    yield return (member, inMethod);
                    if (member is MethodReference called)
                    {
                        yield return (called.DeclaringType, inMethod);
                    }
                }
            }
        }

        if (type.Module.Assembly.MainModule == type.Module && type.FullName == "<Module>")
        {
            foreach (CustomAttribute attribute in type.Module.Assembly.CustomAttributes)
            {
                yield return (attribute.Constructor, "<assembly>");
            }
        }
    }

    /// <summary>ML.NET virtual methods that <paramref name="method"/> overrides implicitly (by name and signature) in its base types.</summary>
    private static IEnumerable<MethodReference> OverriddenMLNetMethods(MethodDefinition method)
    {
        if (!method.IsVirtual || method.IsNewSlot)
        {
            yield break;
        }

        for (TypeDefinition? type = TryResolveType(method.DeclaringType.BaseType); type is not null; type = TryResolveType(type.BaseType))
        {
            MethodDefinition? match = type.Methods.FirstOrDefault(m => m.IsVirtual && m.Name == method.Name && m.Parameters.Count == method.Parameters.Count);
            if (match is not null && MLNetAssemblies.Contains(type.Module.Assembly.Name.Name))
            {
                yield return match;
                yield break;
            }
        }
    }

    private static TypeDefinition? TryResolveType(TypeReference? reference)
    {
        try
        {
            return reference?.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static bool IsMLNet(MemberReference reference)
    {
        TypeReference? type = reference as TypeReference ?? reference.DeclaringType;
        while (type is TypeSpecification specification)
        {
            type = specification.ElementType;
        }

        string? scope = type?.Scope switch
        {
            AssemblyNameReference name => name.Name,
            ModuleDefinition module => module.Assembly.Name.Name,
            _ => null,
        };
        return scope is not null && MLNetAssemblies.Contains(scope);
    }

    private static IMemberDefinition? TryResolve(MemberReference reference)
    {
        try
        {
            return reference switch
            {
                TypeReference type => type.GetElementType().Resolve(),
                MethodReference method => method.Resolve(),
                FieldReference field => field.Resolve(),
                _ => null,
            };
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static bool IsVisibleOutsideMLNet(IMemberDefinition member)
    {
        for (TypeDefinition? type = member as TypeDefinition ?? member.DeclaringType; type is not null; type = type.DeclaringType)
        {
            bool typeVisible = type.IsNested ? type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly : type.IsPublic;
            if (!typeVisible)
            {
                return false;
            }
        }

        return member switch
        {
            MethodDefinition method => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly,
            FieldDefinition field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
            _ => true,
        };
    }
}
