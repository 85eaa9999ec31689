namespace Microsoft.ML.Peft.Tests.Infrastructure;

/// <summary>
/// Locates the real data sets in <c>../shared/data</c> beside the repository (or in <c>PEFT_SHARED_DATA</c>).
/// Tests that need them call <see cref="Require"/>, which skips the test with a clear message when absent.
/// </summary>
public static class SharedData
{
    /// <summary>The repository root (the folder holding Microsoft.ML.Peft.sln).</summary>
    // Declared first: static initialisers run in textual order and Root needs it.
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The shared data folder, or null when it is not present on this machine.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="relativePath"/> under the shared data folder; skips the test when it is absent.</summary>
    public static string Require(string relativePath)
    {
        Skip.If(Root is null, "The shared data folder (../shared/data beside the repository, or PEFT_SHARED_DATA) is absent.");
        string path = Path.Combine(Root!, relativePath);
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"Shared data '{relativePath}' is absent under {Root}.");
        return path;
    }

    private static string? FindRoot()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("PEFT_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        }

        string candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));
        return Directory.Exists(candidate) ? candidate : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.Peft.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
