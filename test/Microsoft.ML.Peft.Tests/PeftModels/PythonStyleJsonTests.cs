using System.Text.Json.Nodes;

namespace Microsoft.ML.Peft.Tests.PeftModels;

/// <summary>adapter_config.json is written as Python's json.dumps(indent=2, sort_keys=True) writes it.</summary>
public sealed class PythonStyleJsonTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(16.0, "16.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.05, "0.05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(2.5e-07, "2.5e-07")]
    [InlineData(1e20, "1e+20")]
    public void FloatsLookLikePythonRepr(double value, string expected) =>
        Assert.Equal(expected, PythonStyleJson.FormatFloat(value));

    [Fact]
    public void KeysAreSortedAtEveryLevelWithTwoSpaceIndentation()
    {
        var json = new JsonObject
        {
            ["b"] = new JsonObject { ["z"] = 1, ["a"] = PythonStyleJson.Float(1) },
            ["a"] = new JsonArray("x", "y"),
            ["c"] = new JsonObject(),
            ["d"] = null,
        };

        string expected = "{\n  \"a\": [\n    \"x\",\n    \"y\"\n  ],\n  \"b\": {\n    \"a\": 1.0,\n    \"z\": 1\n  },\n  \"c\": {},\n  \"d\": null\n}";
        Assert.Equal(expected, PythonStyleJson.Serialize(json).ReplaceLineEndings("\n"));
    }
}
