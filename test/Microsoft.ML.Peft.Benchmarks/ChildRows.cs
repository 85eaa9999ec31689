using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>Runs a step-time row in a fresh process (this program's hidden <see cref="CommandName"/> command) and reads its JSON back.</summary>
internal static class ChildRows
{
    public const string CommandName = "step-row";

    /// <summary>The prefix of the line that carries the child's result on its standard output.</summary>
    public const string Marker = "ROW_JSON ";

    public static JsonObject Run(RowSpec spec, TimeSpan timeout)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Started as "dotnet Microsoft.ML.Peft.Benchmarks.dll": the child needs the assembly too.
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add(CommandName);
        foreach (string argument in spec.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        // Keep this process's wait policy: the child inherits OMP_WAIT_POLICY / GOMP_SPINCOUNT where this process set one
        // (the environment wins over the option), and where it set none ("default") the child must not set its own.
        start.ArgumentList.Add("--omp-wait-policy");
        start.ArgumentList.Add("default");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return Failed(spec, $"timed out after {timeout.TotalSeconds:F0} s");
        }

        string? result = lines.LastOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
        if (process.ExitCode != 0 || result is null)
        {
            string tail = string.Join(" | ", (stderr.Result + string.Join("\n", lines)).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(6));
            return Failed(spec, $"exit code {process.ExitCode}: {tail}");
        }

        return (JsonObject)JsonNode.Parse(result[Marker.Length..])!;
    }

    /// <summary>A row that was not run, with <paramref name="status"/> saying why.</summary>
    public static JsonObject NotRun(RowSpec spec, string status) => new()
    {
        ["model"] = spec.Model,
        ["method"] = spec.Method,
        ["precision"] = spec.Precision,
        ["status"] = status,
    };

    private static JsonObject Failed(RowSpec spec, string why) => NotRun(spec, "failed: " + why);
}
