using System.Net;
using System.Net.Http.Headers;
using System.Reflection;

namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Downloads files from the Hugging Face Hub into the cache <c>huggingface_hub</c> uses, speaking the same protocol:
/// a HEAD request on <c>{endpoint}/{repo_id}/resolve/{revision}/{filename}</c> says which commit the revision is
/// (<c>X-Repo-Commit</c>), which content the file has (<c>X-Linked-Etag</c> / <c>ETag</c>) and how big it is
/// (<c>X-Linked-Size</c> / <c>Content-Length</c>); relative redirects (renamed repositories) are followed, an absolute
/// redirect (LFS storage) is where the content is downloaded from, without the access token. Downloads resume from a
/// partial <c>.incomplete</c> file, and LFS files are checked against their SHA-256 before they enter the cache.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRelativeRedirects = 10;

    private readonly HttpClient _http;
    private readonly Uri _endpointUri;
    private readonly string? _token;

    /// <summary>Creates a client; settings left null in <paramref name="options"/> come from the environment (<c>HF_ENDPOINT</c>, <c>HF_HUB_CACHE</c>, ...).</summary>
    public HubClient(HubClientOptions? options = null)
        : this(options ?? new HubClientOptions(), HubEnvironment.Process)
    {
    }

    internal HubClient(HubClientOptions options, HubEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RequestTimeout <= TimeSpan.Zero || options.RetryDelay < TimeSpan.Zero || options.MaxResumeAttempts < 1)
        {
            throw new ArgumentException("RequestTimeout must be positive, RetryDelay not negative and MaxResumeAttempts at least 1.", nameof(options));
        }

        Endpoint = (options.Endpoint ?? environment.Endpoint).TrimEnd('/');
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out Uri? endpointUri) ||
            (endpointUri.Scheme != Uri.UriSchemeHttps && endpointUri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"The Hub endpoint '{Endpoint}' is not an http(s) address (from HubClientOptions.Endpoint or HF_ENDPOINT).", nameof(options));
        }

        _endpointUri = endpointUri;
        Cache = new HubCache(options.CacheDirectory ?? environment.CacheDirectory);
        _token = options.Token ?? environment.Token;
        if (_token is { Length: 0 })
        {
            _token = null;
        }

        Offline = options.Offline ?? environment.Offline;
        CheckForUpdates = options.CheckForUpdates;
        Settings = options;

        HttpMessageHandler handler = options.HttpMessageHandler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler, disposeHandler: options.HttpMessageHandler is null) { Timeout = options.RequestTimeout };
        string version = typeof(HubClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Microsoft.ML.Peft", version));
    }

    /// <summary>The Hub's base address, without a trailing slash.</summary>
    public string Endpoint { get; }

    /// <summary>The cache files are downloaded into.</summary>
    public HubCache Cache { get; }

    /// <summary>Whether offline mode is on: no request is ever sent, and everything comes from <see cref="Cache"/>.</summary>
    public bool Offline { get; }

    /// <summary>Whether cached models under a branch or tag revision are checked against the Hub (see <see cref="HubClientOptions.CheckForUpdates"/>).</summary>
    public bool CheckForUpdates { get; }

    internal HubClientOptions Settings { get; }

    /// <summary>The resolve URL of a file: <c>{endpoint}/{repo_id}/resolve/{revision}/{filename}</c>, the revision escaped as one path segment.</summary>
    public Uri GetResolveUrl(string repoId, string fileName, string? revision = null)
    {
        string rev = CheckArguments(repoId, fileName, revision);
        string escapedFile = string.Join('/', fileName.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{Endpoint}/{repoId}/resolve/{Uri.EscapeDataString(rev)}/{escapedFile}");
    }

    /// <summary>Asks the Hub (one HEAD request, following renamed-repository redirects) what it holds for a file.</summary>
    /// <exception cref="HubOfflineException">Offline mode is on, or the Hub cannot be reached.</exception>
    /// <exception cref="HubEntryNotFoundException">The file does not exist at that revision.</exception>
    /// <exception cref="HubRepositoryNotFoundException">The repository does not exist or needs a token.</exception>
    /// <exception cref="HubRevisionNotFoundException">The revision does not exist.</exception>
    /// <exception cref="HubRequestException">Any other error response, or a response that is not the Hub's.</exception>
    public async Task<HubFileMetadata> GetFileMetadataAsync(string repoId, string fileName, string? revision = null, CancellationToken cancellationToken = default)
    {
        string rev = CheckArguments(repoId, fileName, revision);
        if (Offline)
        {
            throw new HubOfflineException(
                $"Cannot ask the Hub about '{fileName}' of '{repoId}' at revision '{rev}': offline mode is on (HF_HUB_OFFLINE or HubClientOptions.Offline).",
                HubOfflineReason.OfflineModeEnabled, repoId, rev, fileName);
        }

        try
        {
            return await HeadAsync(repoId, fileName, rev, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (NetworkFailures.IsUnreachable(e, cancellationToken))
        {
            throw Unreachable(repoId, rev, fileName, e, notCached: false);
        }
    }

    /// <summary>
    /// Returns the cached path of a file (<c>snapshots/{commit}/{filename}</c>), downloading it first when needed. A
    /// commit-hash revision already cached needs no request. When offline mode is on, the Hub cannot be reached, is
    /// down, or refuses to describe the file (a private or gated repository without a valid token, a response that is
    /// not the Hub's), the cached copy of the revision is returned if there is one, as <c>huggingface_hub</c> does.
    /// </summary>
    /// <exception cref="HubOfflineException">The Hub cannot be asked and the file is not cached.</exception>
    /// <exception cref="HubRepositoryNotFoundException">The repository does not exist or needs a token, and the file is not cached.</exception>
    /// <exception cref="HubRevisionNotFoundException">The revision does not exist (never answered from the cache).</exception>
    /// <exception cref="HubRequestException">Any other error response, or a response that is not the Hub's, and the file is not cached.</exception>
    /// <exception cref="HubEntryNotFoundException">The file does not exist at that revision.</exception>
    /// <exception cref="HubChecksumMismatchException">The content does not match its announced SHA-256.</exception>
    /// <exception cref="HubSizeMismatchException">The content does not have the announced size.</exception>
    /// <exception cref="HubDownloadInterruptedException">The transfer kept breaking; the next call resumes it.</exception>
    public async Task<string> DownloadFileAsync(
        string repoId, string fileName, string? revision = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string rev = CheckArguments(repoId, fileName, revision);
        if (Offline)
        {
            return Cache.TryGetCachedFile(repoId, fileName, rev) ?? throw new HubOfflineException(
                $"'{fileName}' of the Hugging Face Hub model '{repoId}' at revision '{rev}' is not in the cache '{Cache.Root}', and offline mode is on " +
                "(HF_HUB_OFFLINE or HubClientOptions.Offline), so it cannot be downloaded. Download it once while online, or turn offline mode off.",
                HubOfflineReason.OfflineModeEnabled, repoId, rev, fileName);
        }

        try
        {
            CachedHubFile file = await DownloadCoreAsync(repoId, fileName, rev, recordRevision: true, progress, cancellationToken).ConfigureAwait(false);
            return file.Path;
        }
        catch (HubException e) when (CacheFallback.Allows(e))
        {
            if (Cache.TryGetCachedFile(repoId, fileName, rev) is { } cached)
            {
                return cached;
            }

            if (e is HubOfflineException)
            {
                throw Unreachable(repoId, rev, fileName, e.InnerException ?? e, notCached: true);
            }

            throw;
        }
    }

    /// <summary>Disposes the HTTP client (and the handler, unless it was given in the options).</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The online download of one file, without any fallback to the cache: HEAD, then the blob when it is not cached
    /// yet, then the snapshot pointer. <paramref name="recordRevision"/> writes <c>refs/{revision}</c>; a caller
    /// assembling a whole model writes it itself once every file is there.
    /// </summary>
    internal async Task<CachedHubFile> DownloadCoreAsync(
        string repoId, string fileName, string revision, bool recordRevision, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (HubNames.IsCommitHash(revision))
        {
            string pinned = Cache.GetPointerPath(repoId, revision, fileName);
            if (SnapshotPointer.Exists(pinned))
            {
                return new CachedHubFile(pinned, revision);
            }

            if (Cache.IsKnownMissing(repoId, revision, fileName))
            {
                throw new HubEntryNotFoundException(
                    $"The Hugging Face Hub repository '{repoId}' has no file '{fileName}' at commit '{revision}' (recorded in the cache '{Cache.Root}').",
                    repoId, revision, fileName, revision);
            }
        }

        HubFileMetadata metadata;
        try
        {
            metadata = await HeadAsync(repoId, fileName, revision, cancellationToken).ConfigureAwait(false);
        }
        catch (HubEntryNotFoundException e) when (e.CommitHash is { } commit && HubNames.SafeSegment(commit))
        {
            Cache.MarkMissing(repoId, commit, fileName);
            if (recordRevision)
            {
                Cache.WriteRef(repoId, revision, commit);
            }

            throw;
        }
        catch (HubException e) when (e is HubRequestException or HubRepositoryNotFoundException)
        {
            e.FromMetadataRequest = true;
            throw;
        }
        catch (Exception e) when (NetworkFailures.IsUnreachable(e, cancellationToken))
        {
            throw Unreachable(repoId, revision, fileName, e, notCached: false);
        }

        if (recordRevision)
        {
            Cache.WriteRef(repoId, revision, metadata.CommitHash);
        }

        string pointer = Cache.GetPointerPath(repoId, metadata.CommitHash, fileName);
        if (SnapshotPointer.Exists(pointer))
        {
            return new CachedHubFile(pointer, metadata.CommitHash);
        }

        string blob = Cache.GetBlobPath(repoId, metadata.ETag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using (await CacheFileLock.AcquireAsync(Cache.GetLockPath(repoId, metadata.ETag), cancellationToken).ConfigureAwait(false))
        {
            bool newBlob = false;
            if (!File.Exists(blob))
            {
                await new BlobDownload(this, metadata, progress).RunAsync(blob + ".incomplete", blob, cancellationToken).ConfigureAwait(false);
                newBlob = true;
            }

            if (!SnapshotPointer.Exists(pointer))
            {
                SnapshotLinker.Link(blob, pointer, newBlob);
            }
        }

        return new CachedHubFile(pointer, metadata.CommitHash);
    }

    /// <summary>
    /// Sends one request with the Hub's headers: no compression (sizes must be the file's), the token only to the Hub's
    /// own host (never to the storage an LFS file redirects to), and a range when resuming.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeStart, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (_token is not null && IsHubHost(url))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        if (rangeStart > 0)
        {
            request.Headers.Range = new RangeHeaderValue(rangeStart, null);
        }

        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.RequestMessage?.RequestUri is { } sent && sent != url)
        {
            response.Dispose();
            throw new InvalidOperationException(
                $"The HttpMessageHandler followed a redirect from {HubResponses.Describe(url)} to {HubResponses.Describe(sent)} by itself. " +
                "HubClient reads the Hub's redirect headers, so the handler must not follow redirects (AllowAutoRedirect = false).");
        }

        return response;
    }

    private async Task<HubFileMetadata> HeadAsync(string repoId, string fileName, string revision, CancellationToken cancellationToken)
    {
        Uri url = GetResolveUrl(repoId, fileName, revision);
        for (int hop = 0; ; hop++)
        {
            using HttpResponseMessage response = await SendAsync(HttpMethod.Head, url, rangeStart: 0, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && HubResponses.Header(response, "Location") is { } location)
            {
                if (!HubResponses.IsRelativeLocation(location))
                {
                    return HubResponses.ReadMetadata(response, repoId, fileName, revision, new Uri(url, location));
                }

                if (hop >= MaxRelativeRedirects)
                {
                    throw new HubRequestException(
                        $"Resolving '{fileName}' of '{repoId}' at revision '{revision}' was redirected more than {MaxRelativeRedirects} times (last: {HubResponses.Describe(url)}).",
                        response.StatusCode, repoId, revision, fileName);
                }

                url = new Uri(url, location); // a renamed repository: same host, new path
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw HubResponses.ToException(response, repoId, revision, fileName);
            }

            return HubResponses.ReadMetadata(response, repoId, fileName, revision, url);
        }
    }

    private bool IsHubHost(Uri url) =>
        string.Equals(url.Scheme, _endpointUri.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(url.IdnHost, _endpointUri.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        url.Port == _endpointUri.Port;

    private HubOfflineException Unreachable(string repoId, string revision, string fileName, Exception cause, bool notCached) =>
        new($"Cannot reach the Hugging Face Hub at {Endpoint} to get '{fileName}' of '{repoId}' at revision '{revision}': the machine appears " +
            $"to be offline ({cause.Message}).{(notCached ? $" The file is not in the cache '{Cache.Root}' either." : "")} " +
            "Check the connection (and HF_ENDPOINT or the proxy), or set HF_HUB_OFFLINE=1 to use cached files only.",
            HubOfflineReason.NetworkUnreachable, repoId, revision, fileName, cause);

    private static string CheckArguments(string repoId, string fileName, string? revision)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        ArgumentNullException.ThrowIfNull(fileName);
        if (HubNames.RepoIdProblem(repoId) is { } repoProblem)
        {
            throw new ArgumentException($"'{repoId}' is not a Hugging Face Hub repository id: {repoProblem}.", nameof(repoId));
        }

        if (!HubNames.SafeRelativePath(fileName))
        {
            throw new ArgumentException($"'{fileName}' is not a file path inside a repository (forward slashes, no '..', empty or rooted parts).", nameof(fileName));
        }

        string rev = revision ?? HubNames.DefaultRevision;
        return HubNames.RevisionProblem(rev) is { } revisionProblem
            ? throw new ArgumentException($"The revision '{rev}' of '{repoId}' is not usable: {revisionProblem}.", nameof(revision))
            : rev;
    }
}
