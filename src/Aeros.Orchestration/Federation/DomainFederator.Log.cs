using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Federation;

internal sealed partial class DomainFederator
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Domain {Domain} federated with {Peer} ({PublicUrl})")]
    private static partial void LogSynced(ILogger logger, string domain, string peer, Uri publicUrl);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Domain {Peer} unreachable from {Domain}, retrying: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string domain, string peer, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Peer {Url} could not be asked for domains: {Reason}")]
    private static partial void LogPeerFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The own broker of domain {Domain} failed: {Reason}")]
    private static partial void LogOwnBrokerFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Domain {Peer} left the continuum; its registrations are removed from {Domain}")]
    private static partial void LogPeerRemoved(ILogger logger, string domain, string peer);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Domain {Domain} is leaving the continuum")]
    private static partial void LogLeaving(ILogger logger, string domain);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Domain {Domain} could not remove its registrations at {Peer}: {Reason}")]
    private static partial void LogLeaveFailed(ILogger logger, string domain, string peer, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Domain {Domain} discovered domain {Peer} at {PublicUrl}")]
    private static partial void LogDiscovered(ILogger logger, string domain, string peer, Uri publicUrl);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "Another domain named {Domain} is in the continuum at {OtherUrl} (this one is at {OwnUrl}); domain names must be unique")]
    private static partial void LogNameConflict(ILogger logger, string domain, Uri otherUrl, Uri ownUrl);
}
