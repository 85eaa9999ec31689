using Microsoft.ML.Peft.Tuners;
using Microsoft.ML.Peft.Tuners.Lora;

namespace Microsoft.ML.Peft.Tests.Tuners;

/// <summary>PEFT's selection rules (check_target_module_exists, _set_trainable, get_pattern_key) on dotted names.</summary>
public sealed class TargetModuleMatcherTests
{
    private const string Query0 = "bert.encoder.layer.0.attention.self.query";
    private const string Query1 = "bert.encoder.layer.1.attention.self.query";

    private static bool Matches(LoraConfig config, string key) => TargetModuleMatcher.IsTarget(config, key, config.TargetModules!);

    [Theory]
    [InlineData(Query0, true)]
    [InlineData("query", true)]
    [InlineData("bert.encoder.layer.0.attention.self.myquery", false)]
    [InlineData("bert.encoder.layer.0.attention.self.query.base_layer", false)]
    [InlineData("bert.encoder.layer.0.attention.self.query_proj", false)]
    public void NamesMatchWholeTrailingSegments(string key, bool expected) =>
        Assert.Equal(expected, Matches(new LoraConfig { TargetModules = ["query"] }, key));

    [Fact]
    public void MultiSegmentNamesMatchAsSuffix()
    {
        var config = new LoraConfig { TargetModules = ["attention.output.dense"] };
        Assert.True(Matches(config, "bert.encoder.layer.3.attention.output.dense"));
        Assert.False(Matches(config, "bert.encoder.layer.3.output.dense"));
    }

    [Theory]
    [InlineData(Query0, true)]
    [InlineData("bert.encoder.layer.0.attention.self.value", true)]
    [InlineData("bert.encoder.layer.0.attention.self.key", false)]
    [InlineData("prefix." + Query0, false)]
    public void RegularExpressionsMustMatchTheWholeName(string key, bool expected) =>
        Assert.Equal(expected, Matches(new LoraConfig { TargetModules = ModuleSelector.FromPattern(@"bert\.encoder\.layer\.\d+\.attention\.self\.(query|value)") }, key));

    [Fact]
    public void ExcludedModulesAreNeverTargets()
    {
        var byName = new LoraConfig { TargetModules = ["query"], ExcludeModules = ["layer.1.attention.self.query"] };
        Assert.True(Matches(byName, Query0));
        Assert.False(Matches(byName, Query1));

        var byPattern = new LoraConfig { TargetModules = ["query"], ExcludeModules = ModuleSelector.FromPattern(@".*layer\.0\..*") };
        Assert.False(Matches(byPattern, Query0));
        Assert.True(Matches(byPattern, Query1));
    }

    [Fact]
    public void LayersToTransformSelectsLayerIndicesAfterThePattern()
    {
        var anyPattern = new LoraConfig { TargetModules = ["query"], LayersToTransform = [1] };
        Assert.False(Matches(anyPattern, Query0));
        Assert.True(Matches(anyPattern, Query1));

        var layerPattern = new LoraConfig { TargetModules = ["query"], LayersToTransform = [0], LayersPattern = ["layer"] };
        Assert.True(Matches(layerPattern, Query0));
        Assert.False(Matches(layerPattern, Query1));

        var otherPattern = new LoraConfig { TargetModules = ["query"], LayersToTransform = [0], LayersPattern = ["h"] };
        Assert.False(Matches(otherPattern, Query0));
        Assert.True(Matches(otherPattern, "transformer.h.0.query"));
    }

    [Fact]
    public void ModulesToSaveAreNeverTargets()
    {
        var config = new LoraConfig { TargetModules = ["dense"], ModulesToSave = ["classifier"] };
        Assert.True(Matches(config, "bert.encoder.layer.0.output.dense"));
        Assert.False(Matches(config, "classifier.dense"));
    }

    [Fact]
    public void ModulesToSaveMatchByPlainSuffixAsInPeft()
    {
        Assert.True(TargetModuleMatcher.IsModuleToSave(["classifier"], "classifier"));
        Assert.True(TargetModuleMatcher.IsModuleToSave(["classifier"], "roberta.classifier"));
        Assert.False(TargetModuleMatcher.IsModuleToSave(["classifier"], "classifier.dense"));
    }

    [Fact]
    public void RankAndAlphaPatternsApplyPerModule()
    {
        var config = new LoraConfig
        {
            R = 8,
            LoraAlpha = 16,
            RankPattern = new Dictionary<string, int> { ["value"] = 4, [@"^bert\.encoder\.layer\.1\..*query"] = 2 },
            AlphaPattern = new Dictionary<string, double> { ["value"] = 32 },
        };

        Assert.Equal((8, 16.0), config.RankAndAlphaFor(Query0));
        Assert.Equal((2, 16.0), config.RankAndAlphaFor(Query1));
        Assert.Equal((4, 32.0), config.RankAndAlphaFor("bert.encoder.layer.0.attention.self.value"));
        Assert.Equal((8, 16.0), config.RankAndAlphaFor("bert.encoder.layer.0.attention.self.myvalue"));
    }

    [Fact]
    public void ContradictoryTargetingIsRejectedAsInPeft()
    {
        var regexWithLayers = new LoraConfig { TargetModules = ModuleSelector.FromPattern(".*query"), LayersToTransform = [0] };
        Assert.Throws<ArgumentException>(regexWithLayers.Validate);
        var patternWithoutLayers = new LoraConfig { TargetModules = ["query"], LayersPattern = ["layer"] };
        Assert.Throws<ArgumentException>(patternWithoutLayers.Validate);
    }
}
