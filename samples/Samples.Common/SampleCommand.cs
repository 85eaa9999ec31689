using System.CommandLine;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Samples;

/// <summary>Runs a sample's command line, turning the errors a user causes (a missing file, a wrong column, an unusable model) into one clear line.</summary>
public static class SampleCommand
{
    /// <summary>Parses <paramref name="args"/> and invokes <paramref name="command"/>; returns the exit code (2 for a user error).</summary>
    public static int Invoke(RootCommand command, string[] args)
    {
        try
        {
            // Exceptions must reach the catch below rather than System.CommandLine's handler, which prints a stack trace.
            return command.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or WeightLoadException or HubException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
