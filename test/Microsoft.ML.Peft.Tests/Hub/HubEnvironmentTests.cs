using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.Tests.Infrastructure;

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

    // huggingface_hub: HF_HUB_OFFLINE decides when it is set at all, TRANSFORMERS_OFFLINE only when it is not.
    [Theory]
    [InlineData("0", "1", false)]
    [InlineData("false", "1", false)]
    [InlineData("1", "0", true)]
    [InlineData("", "1", true)]
    [InlineData(null, "yes", true)]
    [InlineData(null, null, false)]
    public void HfHubOfflineTakesPrecedenceOverTransformersOffline(string? hfHubOffline, string? transformersOffline, bool offline)
    {
        var variables = new List<(string, string)>();
        if (hfHubOffline is not null)
        {
            variables.Add(("HF_HUB_OFFLINE", hfHubOffline));
        }

        if (transformersOffline is not null)
        {
            variables.Add(("TRANSFORMERS_OFFLINE", transformersOffline));
        }

        Assert.Equal(offline, With([.. variables]).Offline);
    }

    [Fact]
    public void TokenComesFromHfTokenThenTheLegacyVariable()
    {
        Assert.Null(With(("HF_HOME", "/no/such/hf-home")).Token);
        Assert.Equal("hf_abc", With(("HF_TOKEN", "hf_abc"), ("HUGGING_FACE_HUB_TOKEN", "hf_old")).Token);
        Assert.Equal("hf_old", With(("HF_TOKEN", ""), ("HUGGING_FACE_HUB_TOKEN", "hf_old")).Token);
        Assert.Equal("hf_old", With(("HUGGING_FACE_HUB_TOKEN", " hf_old\r\n")).Token);
    }

    [Fact]
    public void TokenFileWrittenByTheCliLoginIsRead()
    {
        using var home = new TemporaryFolder();
        File.WriteAllText(Path.Combine(home.Path, "token"), "hf_from_file\n");

        Assert.Equal("hf_from_file", With(("HF_HOME", home.Path)).Token);
        Assert.Equal("hf_env", With(("HF_HOME", home.Path), ("HF_TOKEN", "hf_env")).Token);
        // A variable that cleans to nothing is no token, so the file is used, as huggingface_hub's get_token does.
        Assert.Equal("hf_from_file", With(("HF_HOME", home.Path), ("HF_TOKEN", " \n")).Token);
    }

    [Fact]
    public void TokenPathVariableNamesTheTokenFile()
    {
        using var folder = new TemporaryFolder();
        string tokenPath = Path.Combine(folder.Path, "secret");
        File.WriteAllText(tokenPath, "  hf_secret\r\n");
        File.WriteAllText(Path.Combine(folder.Path, "token"), "hf_ignored");

        Assert.Equal("hf_secret", With(("HF_TOKEN_PATH", tokenPath), ("HF_HOME", folder.Path)).Token);
    }

    [Fact]
    public void TokenFileUnderTheDefaultHomeIsRead()
    {
        using var userHome = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(userHome.Path, ".cache", "huggingface"));
        File.WriteAllText(Path.Combine(userHome.Path, ".cache", "huggingface", "token"), "hf_default");
        var environment = new HubEnvironment(_ => null, userHome.Path);

        Assert.Equal("hf_default", environment.Token);
    }

    [Fact]
    public void BlankTokenFileMeansNoToken()
    {
        using var home = new TemporaryFolder();
        File.WriteAllText(Path.Combine(home.Path, "token"), " \n\n");

        Assert.Null(With(("HF_HOME", home.Path)).Token);
    }

    [Fact]
    public async Task ClientSendsTheTokenFromTheFile()
    {
        using var home = new TemporaryFolder();
        File.WriteAllText(Path.Combine(home.Path, "token"), "hf_file_token\n");
        using var server = new FakeHubServer();
        server.AddRepository("tiny-org/tiny-bert").Commit(HubTestContext.ModelFiles());
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
        HubEnvironment environment = With(("HF_HOME", home.Path));

        using var client = new HubClient(new HubClientOptions { Endpoint = server.Endpoint, HttpMessageHandler = handler, Offline = false }, environment);
        await client.GetFileMetadataAsync("tiny-org/tiny-bert", "config.json");

        Assert.Equal("Bearer hf_file_token", server.Requests[^1].Authorization);
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
