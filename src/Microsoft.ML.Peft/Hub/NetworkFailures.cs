using System.Net.Sockets;

namespace Microsoft.ML.Peft.Hub;

/// <summary>Tells "the Hub cannot be reached" (so a cached copy may serve) apart from other failures.</summary>
internal static class NetworkFailures
{
    /// <summary>
    /// Whether <paramref name="error"/> means no connection could be made or kept: connection refused or reset, name
    /// resolution failed, or a timeout. Cancellation by the caller is not one; TLS and proxy-tunnel failures are not
    /// either (they need fixing, not a fallback).
    /// </summary>
    public static bool IsUnreachable(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException http => http.StatusCode is null &&
            http.HttpRequestError is not (HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError or HttpRequestError.ConfigurationLimitExceeded),
        SocketException => true,
        HubException => false,
        IOException { InnerException: SocketException } => true,
        _ => false,
    };

    /// <summary>Whether a transfer broke mid-way in a way a resumed request may fix.</summary>
    public static bool IsTransient(Exception error, CancellationToken cancellationToken) => error switch
    {
        HubException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException http => http.StatusCode is null &&
            http.HttpRequestError is not (HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError or HttpRequestError.ConfigurationLimitExceeded),
        IOException or SocketException => true,
        _ => false,
    };
}
