using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners.Adapters;

namespace Microsoft.ML.Peft.Tests.Tuners.Adapters;

/// <summary><c>adapter_config.json</c> for bottleneck adapters (this library's format, peft_type <c>BOTTLENECK_ADAPTER</c>).</summary>
public sealed class BottleneckAdapterConfigJsonTests
{
    [Fact]
    public void EveryFieldRoundTrips()
    {
        var config = new BottleneckAdapterConfig
        {
            TaskType = TaskType.SeqCls,
            Variant = BottleneckVariant.Parallel,
            ReductionFactor = 8,
            NonLinearity = AdapterNonLinearity.Tanh,
            Scaling = 2.5,
            InitAdapterWeights = false,
            TargetModules = ["output.dense"],
            ExcludeModules = ["attention.output.dense"],
            ModulesToSave = ["classifier"],
        };
        string text = PeftConfigJson.Write(config);
        var json = (JsonObject)JsonNode.Parse(text)!;
        Assert.Equal("BOTTLENECK_ADAPTER", (string?)json["peft_type"]);
        Assert.Equal("parallel", (string?)json["variant"]);
        Assert.Equal("tanh", (string?)json["non_linearity"]);
        Assert.Contains("\"scaling\": 2.5", text, StringComparison.Ordinal);
        Assert.Contains("\"reduction_factor\": 8", text, StringComparison.Ordinal);
        Assert.False(json.ContainsKey("layers_to_transform"));

        var reread = Assert.IsType<BottleneckAdapterConfig>(PeftConfigJson.Read(text, "adapter_config.json"));
        Assert.Equal(config with { TargetModules = null, ExcludeModules = null, ModulesToSave = null }, reread with { TargetModules = null, ExcludeModules = null, ModulesToSave = null });
        Assert.Equal(["output.dense"], reread.TargetModules!.Names);
        Assert.Equal(["attention.output.dense"], reread.ExcludeModules!.Names);
        Assert.Equal(["classifier"], reread.ModulesToSave!);
    }

    [Theory]
    [InlineData(BottleneckVariant.Houlsby, 16, AdapterNonLinearity.Swish, 1.0)]
    [InlineData(BottleneckVariant.Pfeiffer, 16, AdapterNonLinearity.Relu, 1.0)]
    [InlineData(BottleneckVariant.Parallel, 2, AdapterNonLinearity.Relu, 4.0)]
    public void UnsetFieldsTakeTheVariantsDefaults(BottleneckVariant variant, int reduction, AdapterNonLinearity nonLinearity, double scaling)
    {
        BottleneckAdapterConfig resolved = new BottleneckAdapterConfig { Variant = variant }.WithVariantDefaults();
        Assert.Equal((reduction, nonLinearity, scaling), (resolved.ReductionFactor!.Value, resolved.NonLinearity!.Value, resolved.Scaling!.Value));
    }

    [Fact]
    public void SiluIsReadAsSwish()
    {
        string text = PeftConfigJson.Write(new BottleneckAdapterConfig { NonLinearity = AdapterNonLinearity.Swish }).Replace("\"swish\"", "\"silu\"", StringComparison.Ordinal);
        Assert.Equal(AdapterNonLinearity.Swish, ((BottleneckAdapterConfig)PeftConfigJson.Read(text, "a.json")).NonLinearity);
    }

    [Theory]
    [InlineData("variant", "\"compacter\"", "'variant' must be one of \"houlsby\", \"pfeiffer\", \"parallel\", but it is \"compacter\"")]
    [InlineData("non_linearity", "\"leakyrelu\"", "'non_linearity' must be one of")]
    [InlineData("reduction_factor", "\"16\"", "'reduction_factor' must be an integer")]
    public void BadFieldsFailNamingTheFileAndTheKey(string key, string value, string message)
    {
        var json = (JsonObject)JsonNode.Parse(PeftConfigJson.Write(new BottleneckAdapterConfig()))!;
        json[key] = JsonNode.Parse(value);
        var error = Assert.Throws<InvalidDataException>(() => PeftConfigJson.Read(json.ToJsonString(), "folder/adapter_config.json"));
        Assert.StartsWith("folder/adapter_config.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
