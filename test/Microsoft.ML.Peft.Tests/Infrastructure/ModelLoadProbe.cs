using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Microsoft.ML.Peft.Tests.Infrastructure;

/// <summary>
/// Runs test/Microsoft.ML.Peft.ModelLoadProbe in a fresh process: it loads a saved model zip with
/// <c>mlContext.Model.Load</c>, transforms a TSV of inputs and prints the loaded type and the output rows.
/// </summary>
public static class ModelLoadProbe
{
    /// <summary>The result of one probe run.</summary>
    public sealed record Result(string TransformerType, IReadOnlyList<JsonElement> Rows);

    /// <summary>Loads <paramref name="modelPath"/> in another process, transforms <paramref name="inputTsv"/> and reads back <paramref name="columns"/>.</summary>
    public static Result Run(string modelPath, string inputTsv, params string[] columns) => Run(modelPath, inputTsv, new Dictionary<string, string>(), columns);

    /// <summary>As <see cref="Run(string, string, string[])"/>, with <paramref name="environment"/> added to the process's environment variables.</summary>
    public static Result Run(string modelPath, string inputTsv, IReadOnlyDictionary<string, string> environment, params string[] columns)
    {
        string probe = typeof(ModelLoadProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ModelLoadProbePath").Value!;
        Assert.True(File.Exists(probe), $"The model-load probe was not built at {probe}.");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (string argument in new[] { probe, modelPath, inputTsv }.Concat(columns))
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "The model-load probe did not finish within 2 minutes.");
        Assert.True(process.ExitCode == 0, $"The model-load probe failed ({process.ExitCode}):\n{stderr.Result}\n{stdout}");

        JsonElement[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToArray();
        return new Result(lines[0].GetProperty("transformer").GetString()!, lines.Skip(1).ToArray());
    }
}
