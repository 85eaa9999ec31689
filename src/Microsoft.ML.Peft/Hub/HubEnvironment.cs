namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// The environment variables <c>huggingface_hub</c> reads, with its defaults. Variables are read through a lookup so
/// tests need not change the process environment, which every test shares.
/// </summary>
internal sealed class HubEnvironment
{
    public const string DefaultEndpoint = "https://huggingface.co";

    private static readonly string[] TrueValues = ["1", "ON", "YES", "TRUE"];

    private readonly Func<string, string?> _variable;
    private readonly string _userHome;

    public HubEnvironment(Func<string, string?> variable, string userHome)
    {
        _variable = variable;
        _userHome = userHome;
    }

    public static HubEnvironment Process { get; } =
        new(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The Hub address without a trailing slash.</summary>
    public string Endpoint => (NonEmpty("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');

    /// <summary>The Hub cache folder, resolved the way <c>huggingface_hub.constants.HF_HUB_CACHE</c> is.</summary>
    public string CacheDirectory
    {
        get
        {
            string? explicitCache = NonEmpty("HF_HUB_CACHE") ?? NonEmpty("HUGGINGFACE_HUB_CACHE");
            if (explicitCache is not null)
            {
                return ExpandHome(explicitCache);
            }

            return Path.Combine(HomeDirectory, "hub");
        }
    }

    /// <summary>The Hugging Face home folder (<c>huggingface_hub.constants.HF_HOME</c>), which holds the cache and the token file.</summary>
    public string HomeDirectory => NonEmpty("HF_HOME") is { } hfHome
        ? ExpandHome(hfHome)
        : Path.Combine(NonEmpty("XDG_CACHE_HOME") is { } xdg ? ExpandHome(xdg) : Path.Combine(_userHome, ".cache"), "huggingface");

    /// <summary>The file <c>hf auth login</c> writes the token to: <c>HF_TOKEN_PATH</c>, else <c>{HF_HOME}/token</c>.</summary>
    public string TokenPath => NonEmpty("HF_TOKEN_PATH") ?? Path.Combine(HomeDirectory, "token");

    /// <summary>
    /// The access token, found as <c>huggingface_hub.get_token</c> finds it: <c>HF_TOKEN</c>, else
    /// <c>HUGGING_FACE_HUB_TOKEN</c>, else the token file; whitespace and line breaks are removed, and an empty result
    /// means no token (so a blank variable falls through to the file).
    /// </summary>
    public string? Token => CleanToken(NonEmpty("HF_TOKEN") ?? NonEmpty("HUGGING_FACE_HUB_TOKEN")) ?? ReadTokenFile();

    /// <summary>
    /// Whether offline mode is on. <c>HF_HUB_OFFLINE</c> decides whenever it is set (so <c>HF_HUB_OFFLINE=0</c> wins over
    /// <c>TRANSFORMERS_OFFLINE=1</c>), as in <c>huggingface_hub.constants</c>; only when it is unset or empty does
    /// <c>TRANSFORMERS_OFFLINE</c> count.
    /// </summary>
    public bool Offline => IsTrue(NonEmpty("HF_HUB_OFFLINE") ?? _variable("TRANSFORMERS_OFFLINE"));

    private static bool IsTrue(string? value) =>
        value is not null && TrueValues.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    private static string? CleanToken(string? token) =>
        token?.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim() is { Length: > 0 } clean ? clean : null;

    private string? ReadTokenFile()
    {
        try
        {
            return CleanToken(File.ReadAllText(TokenPath));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // not logged in
        }
    }

    private string? NonEmpty(string name) => _variable(name) is { Length: > 0 } value ? value : null;

    private string ExpandHome(string path) =>
        path == "~" ? _userHome
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(_userHome, path[2..])
        : path;
}
