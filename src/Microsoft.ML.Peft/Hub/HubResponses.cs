using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Microsoft.ML.Peft.Hub;

/// <summary>Reads the Hub protocol's response headers and turns error responses into specific exceptions.</summary>
internal static class HubResponses
{
    public const string RepoCommitHeader = "X-Repo-Commit";
    public const string LinkedEtagHeader = "X-Linked-Etag";
    public const string LinkedSizeHeader = "X-Linked-Size";
    public const string ErrorCodeHeader = "X-Error-Code";
    public const string ErrorMessageHeader = "X-Error-Message";

    /// <summary>The first value of a response header as sent (unvalidated, so an odd ETag or relative Location survives).</summary>
    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.NonValidated.TryGetValues(name, out HeaderStringValues values) ||
            response.Content.Headers.NonValidated.TryGetValues(name, out values))
        {
            foreach (string value in values)
            {
                return value.Trim();
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a Location header is relative to the host it came from (<c>/org/name/resolve/...</c>): the Hub's answer
    /// for a renamed repository, followed by the client. An absolute Location (the LFS storage) is where to download from.
    /// </summary>
    public static bool IsRelativeLocation(string location)
    {
        if (location.StartsWith("//", StringComparison.Ordinal))
        {
            return false; // scheme-relative: another host
        }

        // Checked before parsing: on Unix "/path" also parses as an absolute file URI.
        if (location.StartsWith('/'))
        {
            return true;
        }

        return !(Uri.TryCreate(location, UriKind.Absolute, out Uri? absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps));
    }

    /// <summary>Removes the quotes and weak prefix HTTP puts around an ETag (<c>W/"abc"</c> → <c>abc</c>).</summary>
    public static string? NormalizeEtag(string? etag)
    {
        if (etag is null)
        {
            return null;
        }

        string value = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        value = value.Trim('"');
        return value.Length == 0 ? null : value;
    }

    /// <summary>The metadata a successful (2xx) or redirecting (3xx to storage) HEAD response announces.</summary>
    public static HubFileMetadata ReadMetadata(HttpResponseMessage response, string repoId, string fileName, string revision, Uri location)
    {
        string url = Describe(response.RequestMessage?.RequestUri);
        string commit = Header(response, RepoCommitHeader) ?? throw Protocol(response, repoId, revision, fileName,
            $"the response for {url} has no {RepoCommitHeader} header, so the server does not seem to be a Hugging Face Hub. " +
            "Check HF_ENDPOINT (or HubClientOptions.Endpoint), the proxy and firewall settings.");
        string etag = NormalizeEtag(Header(response, LinkedEtagHeader) ?? Header(response, "ETag")) ?? throw Protocol(response, repoId, revision, fileName,
            $"the response for {url} has neither an {LinkedEtagHeader} nor an ETag header, so the file's content cannot be identified in the cache.");
        if (!HubNames.SafeSegment(commit))
        {
            throw Protocol(response, repoId, revision, fileName, $"the {RepoCommitHeader} header '{commit}' of {url} is not a commit hash.");
        }

        if (!HubNames.SafeSegment(etag))
        {
            throw Protocol(response, repoId, revision, fileName, $"the ETag '{etag}' of {url} cannot name a cache file.");
        }

        long? size = null;
        if (Header(response, LinkedSizeHeader) is { } linkedSize)
        {
            size = long.TryParse(linkedSize, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ? parsed
                : throw Protocol(response, repoId, revision, fileName, $"the {LinkedSizeHeader} header '{linkedSize}' of {url} is not a byte count.");
        }
        else if (response.IsSuccessStatusCode)
        {
            // A redirect's own Content-Length is that of its body, not of the file.
            size = response.Content.Headers.ContentLength;
        }

        return new HubFileMetadata(repoId, fileName, revision, commit, etag, size, location);
    }

    /// <summary>The specific exception for an error response, read from its status and the Hub's <c>X-Error-Code</c>.</summary>
    public static HubException ToException(HttpResponseMessage response, string repoId, string revision, string fileName)
    {
        string? code = Header(response, ErrorCodeHeader);
        string? serverMessage = Header(response, ErrorMessageHeader);
        int status = (int)response.StatusCode;
        string url = Describe(response.RequestMessage?.RequestUri);
        string detail = serverMessage is null ? $"HTTP {status} for {url}" : $"HTTP {status} for {url}: {serverMessage}";

        if (code == "RepoNotFound" || (code is null && response.StatusCode == HttpStatusCode.Unauthorized))
        {
            return new HubRepositoryNotFoundException(
                $"The Hugging Face Hub has no model repository '{repoId}' ({detail}). Check the id; if the repository is private " +
                "or gated, set HF_TOKEN (or log in with `hf auth login`, or set HubClientOptions.Token) to an access token that can read it.",
                repoId, revision, fileName);
        }

        if (code == "RevisionNotFound")
        {
            return new HubRevisionNotFoundException(
                $"The Hugging Face Hub repository '{repoId}' has no revision (branch, tag or commit) '{revision}' ({detail}).",
                repoId, revision, fileName);
        }

        if (code == "EntryNotFound" || (code is null && response.StatusCode == HttpStatusCode.NotFound))
        {
            return new HubEntryNotFoundException(
                $"The Hugging Face Hub repository '{repoId}' has no file '{fileName}' at revision '{revision}' ({detail}).",
                repoId, revision, fileName, Header(response, RepoCommitHeader));
        }

        if (code == "GatedRepo")
        {
            return new HubRequestException(
                $"The Hugging Face Hub repository '{repoId}' is gated ({detail}): accept its conditions on the model page, then set " +
                "HF_TOKEN (or log in with `hf auth login`, or set HubClientOptions.Token) to an access token of that account.",
                response.StatusCode, repoId, revision, fileName);
        }

        return new HubRequestException(
            $"The Hugging Face Hub did not serve '{fileName}' of '{repoId}' at revision '{revision}' ({detail}{(code is null ? "" : $", {code}")}).",
            response.StatusCode, repoId, revision, fileName);
    }

    /// <summary>A URL fit for an error message: without its query, which for storage links holds a signature.</summary>
    public static string Describe(Uri? url) => url is null ? "(unknown URL)" : url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Path) : url.ToString();

    private static HubRequestException Protocol(HttpResponseMessage response, string repoId, string revision, string fileName, string problem) =>
        new($"Cannot download '{fileName}' of '{repoId}' at revision '{revision}': {problem}", response.StatusCode, repoId, revision, fileName);
}
