using Microsoft.Extensions.Logging;

namespace Aeros.Continuum;

public sealed partial class ContinuumClient
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Broker request failed, attempt {Attempt} of {MaxAttempts} in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, int maxAttempts, double delayMs, string reason);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Broker {Operation} failed after {MaxAttempts} attempts: {Reason}")]
    private static partial void LogFailed(ILogger logger, string operation, int maxAttempts, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Registered the aerOS @context with the broker at {Url}")]
    private static partial void LogContextRegistered(ILogger logger, string url);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Reusing the aerOS @context hosted by the broker at {Url}")]
    private static partial void LogContextReused(ILogger logger, string url);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "The broker at {Broker} lost the aerOS @context; registering it again")]
    private static partial void LogContextLost(ILogger logger, Uri broker);
}
