using System.Net;

namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// The Hub (or the storage it redirected to) answered a request with an error other than "not found", or with a
/// response that lacks what the Hub protocol promises (such as the <c>X-Repo-Commit</c> or <c>ETag</c> header).
/// </summary>
public sealed class HubRequestException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was asked, what came back and what to do.</param>
    /// <param name="statusCode">The HTTP status of the response.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file asked for.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public HubRequestException(string message, HttpStatusCode statusCode, string repoId, string? revision, string? fileName, Exception? innerException = null)
        : base(message, repoId, revision, fileName, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Whether the error is the Hub's side being unavailable (5xx) or busy (429), so a cached copy may serve.</summary>
    public bool IsServerUnavailable => (int)StatusCode >= 500 || StatusCode == HttpStatusCode.TooManyRequests;
}
