namespace Microsoft.ML.Peft.Tests.Infrastructure;

/// <summary>A fresh folder under the system temp folder, deleted (with its contents) on dispose.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "peft-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still mapped by a failed test must not hide that test's own failure, and a leftover
            // temp folder is harmless.
        }
    }
}
