using System.Diagnostics;
using Microsoft.ML.Peft.Tests.Infrastructure;

namespace Microsoft.ML.Peft.Tests.Build;

/// <summary>
/// The build step in build/LibTorchSharpGlibcxxPatch.targets: marks libLibTorchSharp.so's GLIBCXX_3.4.32
/// version-need weak in build outputs on hosts whose libstdc++ lacks it, and never touches the NuGet cache.
/// </summary>
public sealed class LibTorchSharpGlibcxxPatchTests
{
    private const string MissingVersion = "GLIBCXX_3.4.32";

    [SkippableFact]
    public void OutputCopyIsWeakAndNuGetCacheCopyIsUntouched()
    {
        SkipUnlessPatchApplies();
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.Equal("WEAK", VersionNeedFlags(output));
        Assert.Equal("none", VersionNeedFlags(NuGetCacheCopy()));
    }

    [SkippableFact]
    public void PatchIsIdempotentKeepsTimestampAndNeverWritesThroughAHardLink()
    {
        SkipUnlessPatchApplies();
        string dir = Directory.CreateTempSubdirectory("peft-glibcxx-").FullName;
        try
        {
            string original = Path.Combine(dir, "cache-libLibTorchSharp.so");
            File.Copy(NuGetCacheCopy(), original);
            string output = Path.Combine(dir, "out", "libLibTorchSharp.so");
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Run("ln", original, output); // a hard link, as a copy step may make
            DateTime originalTime = File.GetLastWriteTimeUtc(original);

            string project = Path.Combine(dir, "patch.proj");
            File.WriteAllText(project, $"""
                <Project>
                  <Import Project="{Path.Combine(SharedData.RepositoryRoot, "build", "LibTorchSharpGlibcxxPatch.targets")}" />
                  <Target Name="PatchNow">
                    <ItemGroup><Lib Include="out/libLibTorchSharp.so" /></ItemGroup>
                    <WeakenMissingGlibcxxVersions Files="@(Lib)" />
                  </Target>
                </Project>
                """);

            string first = Run("dotnet", "msbuild", project, "-t:PatchNow", "-nologo", "-v:n");
            Assert.Contains($"marked {MissingVersion} weak", first);
            Assert.Equal("WEAK", VersionNeedFlags(output));
            Assert.Equal("none", VersionNeedFlags(original)); // the link target was not written through
            Assert.Equal(originalTime, File.GetLastWriteTimeUtc(output));

            string second = Run("dotnet", "msbuild", project, "-t:PatchNow", "-nologo", "-v:n");
            Assert.DoesNotContain("marked", second);
            Assert.Equal("WEAK", VersionNeedFlags(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void SkipUnlessPatchApplies()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The GLIBCXX patch only applies on Linux.");
        Skip.If(FindOnPath("readelf") is null, "readelf (binutils) is not installed.");
        string? hostLibrary = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        Skip.If(hostLibrary is null, "No host libstdc++.so.6 found.");
        Skip.If(Run("readelf", "-V", hostLibrary!).Contains(MissingVersion), $"The host's libstdc++ defines {MissingVersion}; no patch is needed here.");
    }

    private static string NuGetCacheCopy()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(File.Exists(path), $"TorchSharp's package copy is not at {path}.");
        return path;
    }

    /// <summary>The Flags that readelf prints for the GLIBCXX_3.4.32 entry of .gnu.version_r.</summary>
    private static string VersionNeedFlags(string library)
    {
        string line = Run("readelf", "-V", library).Split('\n').Single(l => l.Contains($"Name: {MissingVersion}"));
        return line.Split("Flags:")[1].Trim().Split(' ')[0];
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}\n{stdout}");
        return stdout;
    }
}
