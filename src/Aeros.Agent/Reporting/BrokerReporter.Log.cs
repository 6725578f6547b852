using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Reporting;

internal sealed partial class BrokerReporter
{
    [LoggerMessage(EventId = 4300, Level = LogLevel.Information, Message = "Registered {IeId} in the broker at {Broker}")]
    private static partial void LogRegistered(ILogger logger, string ieId, Uri broker);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "The broker at {Broker} is unreachable; reporting pauses and is retried with backoff while workloads keep running: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, Uri broker, string reason);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "The broker at {Broker} is back after {Seconds:0.#} s ({Attempts} attempts); {IeId} registered again")]
    private static partial void LogBack(ILogger logger, Uri broker, double seconds, int attempts, string ieId);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "The broker has no entity {IeId} any more; registering it again: {Reason}")]
    private static partial void LogMissing(ILogger logger, string ieId, string reason);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Debug, Message = "Reported ({Kind}): {Why}")]
    private static partial void LogReported(ILogger logger, ReportKind kind, string why);
}
