using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Distribution;

internal sealed partial class ContextSourceClient
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Forward to registration {Registration} at {Endpoint} failed: {Error}")]
    private static partial void LogForwardFailed(ILogger logger, string registration, Uri endpoint, string error);
}
