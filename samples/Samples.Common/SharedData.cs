namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// The shared data folder the default runs read (see its README.md): <c>$PEFT_SHARED_DATA</c>, else the first
/// <c>shared/data</c> folder above this program or the working directory, as the tests and benchmarks find it.
/// </summary>
public static class SharedData
{
    private const string Variable = "PEFT_SHARED_DATA";

    /// <summary>The folder, or null when none was found.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="relative"/> in the shared data folder.</summary>
    /// <exception cref="FileNotFoundException">The folder or the file is missing; the message names what was looked for and how to fix it.</exception>
    public static string Require(string relative)
    {
        if (Root is null)
        {
            throw new FileNotFoundException(
                $"The default data '{relative}' lives in the shared data folder, and none was found: set {Variable} to the folder " +
                "that holds text/, pairs/ and images/, or pass your own data (see --help).", relative);
        }

        string path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException(
                $"The default data '{path}' is missing from the shared data folder {Root}: set {Variable} to a folder that holds it, or pass your own data (see --help).", path);
        }

        return path;
    }

    private static string? FindRoot()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        // Walking up from the program and from the working directory finds a shared/ inside the checkout or beside it.
        IEnumerable<DirectoryInfo> Ancestors(string start)
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                yield return folder;
            }
        }

        return new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() }
            .SelectMany(Ancestors)
            .Select(folder => Path.Combine(folder.FullName, "shared", "data"))
            .FirstOrDefault(Directory.Exists);
    }
}
