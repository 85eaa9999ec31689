namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Settings of a <see cref="HubClient"/>. Every setting left null is read from the same environment variables
/// <c>huggingface_hub</c> reads, so .NET and Python share one cache and one configuration.
/// </summary>
public sealed class HubClientOptions
{
    /// <summary>The Hub's base address. Null: <c>HF_ENDPOINT</c>, else <c>https://huggingface.co</c>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// The cache folder (the one holding <c>models--{org}--{name}</c> folders). Null: <c>HF_HUB_CACHE</c>, else
    /// <c>HUGGINGFACE_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else
    /// <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The access token sent as <c>Authorization: Bearer</c> to the Hub (never to the storage it redirects to).
    /// Null: found as <c>huggingface_hub</c> finds it: <c>HF_TOKEN</c>, else <c>HUGGING_FACE_HUB_TOKEN</c>, else the
    /// token file <c>hf auth login</c> writes (<c>HF_TOKEN_PATH</c>, else <c>$HF_HOME/token</c>), with whitespace and
    /// line breaks removed; else none. Empty: send no token even when one is configured.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Offline mode: never touch the network and serve everything from the cache. Null: on when <c>HF_HUB_OFFLINE</c>
    /// is <c>1</c>, <c>ON</c>, <c>YES</c> or <c>TRUE</c>; when <c>HF_HUB_OFFLINE</c> is unset or empty, the older
    /// <c>TRANSFORMERS_OFFLINE</c> decides instead (so <c>HF_HUB_OFFLINE=0</c> wins, as in <c>huggingface_hub</c>).
    /// </summary>
    public bool? Offline { get; init; }

    /// <summary>
    /// Whether a model already complete in the cache under a branch or tag revision (such as <c>main</c>) is checked
    /// against the Hub for a newer commit (one HEAD request per file). Off by default: a cached model then loads with
    /// no network at all. A commit-hash revision never changes, so it is never checked.
    /// </summary>
    public bool CheckForUpdates { get; init; }

    /// <summary>
    /// The HTTP handler to send requests through (tests, proxies, custom TLS). It must not follow redirects itself
    /// (for <see cref="HttpClientHandler"/> or <see cref="SocketsHttpHandler"/>: <c>AllowAutoRedirect = false</c>):
    /// the client reads the Hub's redirect headers. The client does not dispose a handler given here.
    /// Null: a <see cref="SocketsHttpHandler"/> with the system proxy settings.
    /// </summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>How long to wait for a response's headers, and for each read of a body, before treating the Hub as unreachable.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait before resuming a download whose connection broke.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times in a row a broken download is resumed without receiving any new byte before giving up.</summary>
    public int MaxResumeAttempts { get; init; } = 5;
}
