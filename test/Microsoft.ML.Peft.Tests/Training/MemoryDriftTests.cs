using System.Text.Json;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>
/// Resident memory over 1000 steps of a tiny BERT (hidden 32, 2 layers, batch 4, up to 16 tokens), measured in a
/// separate process. The child's gen-0 budget is set to 256 MB so that no garbage collection happens unless the loop
/// asks for one, as on a machine with a large cache: the result then depends on the loop's own discipline only.
/// </summary>
public class MemoryDriftTests
{
    private static readonly Dictionary<string, string> NoNaturalCollections = new() { ["DOTNET_GCgen0size"] = "0x10000000" };

    [Fact]
    public void ResidentMemoryStaysFlatOverAThousandSteps()
    {
        double drift = Drift(1000, "rss", "1000");
        Assert.True(drift <= 0.10, $"resident memory grew by {drift:P1} from steps 100-200 to steps 900-1000");
    }

    [Fact]
    public void WithoutDisposeScopesOrCollectionsTheMeasurementSeesTheGrowth()
    {
        // The control for the test above: the same measurement must fail when the loop's memory discipline is off.
        double drift = Drift(500, "rss", "500", "--no-scopes", "--gc-every", "0");
        Assert.True(drift > 0.10, $"resident memory grew by only {drift:P1}; the measurement would not catch a leak");
    }

    private static double Drift(int steps, params string[] arguments)
    {
        IReadOnlyList<string> output = TrainingProbe.Run(NoNaturalCollections, arguments);
        long[] rss = JsonDocument.Parse(output[^1]).RootElement.GetProperty("rss").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(steps, rss.Length);
        double early = Median(rss[100..200]);
        double late = Median(rss[(steps - 100)..steps]);
        return (late - early) / early;
    }

    private static double Median(long[] values)
    {
        long[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;
    }
}
