namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Which failures let a cached copy of the revision serve instead, as <c>huggingface_hub</c>'s <c>hf_hub_download</c>
/// decides: when the Hub cannot be reached, is down or busy, or refuses the metadata request for any reason but
/// "no such revision" or "no such file" (a private or gated repository without a valid token, a response that is not
/// the Hub's such as a proxy's or captive portal's page). The original error stands when nothing is cached.
/// </summary>
internal static class CacheFallback
{
    public static bool Allows(HubException error) => error switch
    {
        HubOfflineException => true,
        HubRequestException { IsServerUnavailable: true } => true,
        // Only the metadata request: once it succeeded the revision's commit is known, and a failing transfer is an error.
        HubRequestException or HubRepositoryNotFoundException => error.FromMetadataRequest,
        _ => false, // HubEntryNotFoundException, HubRevisionNotFoundException, integrity errors
    };
}
