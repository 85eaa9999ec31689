using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>The environment variables are read with huggingface_hub's names, precedence and defaults.</summary>
public sealed class HubEnvironmentTests
{
    private const string Home = "/home/someone";

    private static HubEnvironment With(params (string Name, string Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => v.Value);
        return new HubEnvironment(name => values.GetValueOrDefault(name), Home);
    }

    [Fact]
    public void CacheFolderFollowsHuggingFaceHubPrecedence()
    {
        Assert.Equal(Path.Combine(Home, ".cache", "huggingface", "hub"), With().CacheDirectory);
        Assert.Equal(Path.Combine("/xdg", "huggingface", "hub"), With(("XDG_CACHE_HOME", "/xdg")).CacheDirectory);
        Assert.Equal(Path.Combine("/hf-home", "hub"), With(("HF_HOME", "/hf-home"), ("XDG_CACHE_HOME", "/xdg")).CacheDirectory);
        Assert.Equal("/legacy", With(("HUGGINGFACE_HUB_CACHE", "/legacy"), ("HF_HOME", "/hf-home")).CacheDirectory);
        Assert.Equal("/explicit", With(("HF_HUB_CACHE", "/explicit"), ("HUGGINGFACE_HUB_CACHE", "/legacy"), ("HF_HOME", "/hf-home")).CacheDirectory);
        Assert.Equal(Path.Combine(Home, "models", "hub"), With(("HF_HOME", "~/models")).CacheDirectory);
    }

    [Fact]
    public void EndpointDefaultsToTheHubAndDropsTrailingSlashes()
    {
        Assert.Equal("https://huggingface.co", With().Endpoint);
        Assert.Equal("https://hf-mirror.example/prefix", With(("HF_ENDPOINT", "https://hf-mirror.example/prefix/")).Endpoint);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void OfflineModeAcceptsHuggingFaceHubTrueValues(string value, bool offline)
    {
        Assert.Equal(offline, With(("HF_HUB_OFFLINE", value)).Offline);
        Assert.Equal(offline, With(("TRANSFORMERS_OFFLINE", value)).Offline);
    }

    [Fact]
    public void TokenComesFromHfToken()
    {
        Assert.Null(With().Token);
        Assert.Equal("hf_abc", With(("HF_TOKEN", "hf_abc")).Token);
    }

    [Fact]
    public void OptionsOverrideTheEnvironment()
    {
        HubEnvironment environment = With(("HF_ENDPOINT", "https://env.example"), ("HF_HUB_CACHE", "/env-cache"), ("HF_HUB_OFFLINE", "1"));

        using var fromEnvironment = new HubClient(new HubClientOptions(), environment);
        using var fromOptions = new HubClient(new HubClientOptions { Endpoint = "https://opt.example", CacheDirectory = "/opt-cache", Offline = false }, environment);

        Assert.Equal("https://env.example", fromEnvironment.Endpoint);
        Assert.Equal(Path.GetFullPath("/env-cache"), fromEnvironment.Cache.Root);
        Assert.True(fromEnvironment.Offline);
        Assert.Equal("https://opt.example", fromOptions.Endpoint);
        Assert.Equal(Path.GetFullPath("/opt-cache"), fromOptions.Cache.Root);
        Assert.False(fromOptions.Offline);
    }

    [Fact]
    public void EndpointMustBeHttp()
    {
        var error = Assert.Throws<ArgumentException>(() => new HubClient(new HubClientOptions { Endpoint = "ftp://hub.example" }, With()));

        Assert.Contains("ftp://hub.example", error.Message, StringComparison.Ordinal);
    }
}
