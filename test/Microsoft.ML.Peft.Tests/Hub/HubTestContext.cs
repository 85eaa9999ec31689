using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.Tests.Checkpoints;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>
/// One test's fake Hub, temporary cache folder and clients pointed at them. Every setting a client would read from the
/// environment is set explicitly, so the machine's HF_* variables and ~/.cache are never used.
/// </summary>
internal sealed class HubTestContext : IDisposable
{
    public const string RepoId = "tiny-org/tiny-bert";

    private readonly TemporaryFolder _folder = new();
    private readonly List<IDisposable> _owned = [];

    public HubTestContext()
    {
        Server = new FakeHubServer();
        CacheDirectory = Path.Combine(_folder.Path, "hub");
    }

    public FakeHubServer Server { get; }

    public string CacheDirectory { get; }

    public string Scratch => _folder.Path;

    public string RepoFolder => Path.Combine(CacheDirectory, "models--tiny-org--tiny-bert");

    /// <summary>A typical BERT repository: config, LFS weights, and three of the six tokenizer files.</summary>
    public static Dictionary<string, FakeHubFile> ModelFiles(int weightsLength = 5000, int seed = 1) => new()
    {
        ["config.json"] = FakeHubFile.Text("{\"model_type\": \"bert\", \"hidden_size\": 8}"),
        ["model.safetensors"] = FakeHubFile.LargeFile(weightsLength, seed),
        ["tokenizer.json"] = FakeHubFile.Text("{\"version\": \"1.0\"}"),
        ["tokenizer_config.json"] = FakeHubFile.Text("{\"do_lower_case\": true}"),
        ["vocab.txt"] = FakeHubFile.Text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n"),
    };

    public HubClient Client(bool offline = false, string? endpoint = null, bool checkForUpdates = false, string token = "", int maxResumeAttempts = 5)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
        var client = new HubClient(new HubClientOptions
        {
            Endpoint = endpoint ?? Server.Endpoint,
            CacheDirectory = CacheDirectory,
            Token = token,
            Offline = offline,
            CheckForUpdates = checkForUpdates,
            HttpMessageHandler = handler,
            RetryDelay = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(20),
            MaxResumeAttempts = maxResumeAttempts,
        });
        _owned.Add(client);
        _owned.Add(handler);
        return client;
    }

    /// <summary>An endpoint on which nothing listens, so connecting is refused.</summary>
    public static string RefusingEndpoint()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }

        Server.Dispose();
        _folder.Dispose();
    }
}
