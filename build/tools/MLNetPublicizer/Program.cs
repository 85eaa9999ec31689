// Writes a compile-only copy of an assembly in which every type and member is accessible, so that
// Microsoft.ML.Peft can compile against ML.NET's internal model-saving plumbing. At run time the
// unmodified ML.NET assemblies are used; [assembly: IgnoresAccessChecksTo(...)] lets the runtime
// accept our calls. Names, versions and public key tokens stay as they were, so the compiler's
// references resolve to the same identities that load at run time.
//
// Usage: MLNetPublicizer <input.dll> <output.dll> [<search directory> ...]
using Microsoft.ML.Peft.Build.Publicizer;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: MLNetPublicizer <input.dll> <output.dll> [<search directory> ...]");
    return 2;
}

try
{
    AssemblyPublicizer.Publicize(args[0], args[1], args.Skip(2).ToArray());
    return 0;
}
catch (Exception e) when (e is IOException or BadImageFormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"MLNetPublicizer: error: cannot publicize '{args[0]}': {e.Message}");
    return 1;
}
