using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>Runs test/Microsoft.ML.Peft.TrainingProbe in a child process.</summary>
internal static class TrainingProbe
{
    public static string DllPath
    {
        get
        {
            string probe = typeof(TrainingProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "TrainingProbePath").Value!;
            Assert.True(File.Exists(probe), $"The training probe was not built at {probe}.");
            return probe;
        }
    }

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(DllPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs the probe to the end and returns its standard output lines.</summary>
    public static IReadOnlyList<string> Run(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        using Process process = Process.Start(StartInfo(environment, arguments))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(180_000), "The training probe did not finish within 3 minutes.");
        Assert.True(process.ExitCode == 0, $"The training probe failed ({process.ExitCode}):\n{stderr.Result}\n{stdout}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
