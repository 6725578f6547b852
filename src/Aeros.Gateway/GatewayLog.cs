using Microsoft.Extensions.Logging;

namespace Aeros.Gateway;

/// <summary>
/// The gateway's source-generated log messages (event ids 6200–6399; the raw forwarder's 6550–6559, the fast path's 6560–6579). None carries a
/// header value or a token.
/// </summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 6200, Level = LogLevel.Information,
        Message = "{Method} {Path} → {Status} api={Api} client={Client} gateway={GatewayMs:0.000}ms upstream={UpstreamMs:0.000}ms")]
    public static partial void Access(ILogger logger, string method, string path, int status, string api, string client, double gatewayMs, double upstreamMs);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "Rejected {Method} {Path}: {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, string method, string path, int status, string reason);


    [LoggerMessage(EventId = 6220, Level = LogLevel.Warning, Message = "The self-API of {IeId} could not be resolved: {Reason}")]
    public static partial void IeLookupFailed(ILogger logger, string ieId, string reason);

    [LoggerMessage(EventId = 6230, Level = LogLevel.Warning, Message = "The OpenAPI document of {Api} at {Url} could not be read: {Reason}")]
    public static partial void OpenApiFailed(ILogger logger, string api, string url, string reason);

    [LoggerMessage(EventId = 6240, Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} to {Api} failed: {Error}")]
    public static partial void ForwardFailed(ILogger logger, string method, string path, string api, string error);

    [LoggerMessage(EventId = 6250, Level = LogLevel.Information, Message = "Gateway of domain {Domain} loaded policy {Policy} with {Routes} routes")]
    public static partial void Started(ILogger logger, string domain, string policy, int routes);

    [LoggerMessage(EventId = 6560, Level = LogLevel.Information, Message = "The fast path (no endpoint routing) serves the APIs: {Apis}")]
    public static partial void FastPath(ILogger logger, string apis);

    [LoggerMessage(EventId = 6553, Level = LogLevel.Information, Message = "Backend requests go through the {Forwarder} forwarder")]
    public static partial void ForwarderChosen(ILogger logger, string forwarder);
}
