namespace Microsoft.ML.Peft.Hub;

/// <summary>Why the Hub could not be asked.</summary>
public enum HubOfflineReason
{
    /// <summary>Offline mode is on (<c>HF_HUB_OFFLINE</c> or <see cref="HubClientOptions.Offline"/>), so the network is never used.</summary>
    OfflineModeEnabled,

    /// <summary>The Hub could not be reached: no connection, name resolution failed, or the request timed out.</summary>
    NetworkUnreachable,
}
