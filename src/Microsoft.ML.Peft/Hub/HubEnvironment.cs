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

            string home = NonEmpty("HF_HOME") is { } hfHome
                ? ExpandHome(hfHome)
                : Path.Combine(NonEmpty("XDG_CACHE_HOME") is { } xdg ? ExpandHome(xdg) : Path.Combine(_userHome, ".cache"), "huggingface");
            return Path.Combine(home, "hub");
        }
    }

    public string? Token => NonEmpty("HF_TOKEN");

    public bool Offline => IsTrue(_variable("HF_HUB_OFFLINE")) || IsTrue(_variable("TRANSFORMERS_OFFLINE"));

    private static bool IsTrue(string? value) =>
        value is not null && TrueValues.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    private string? NonEmpty(string name) => _variable(name) is { Length: > 0 } value ? value : null;

    private string ExpandHome(string path) =>
        path == "~" ? _userHome
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(_userHome, path[2..])
        : path;
}
