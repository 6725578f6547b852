using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Awareness;

internal sealed partial class NodeSampler
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Self-awareness sampling started: {Architecture}, {Cores} cores, power from {PowerSource}, every {PeriodMs} ms")]
    private static partial void LogStarted(ILogger logger, string architecture, int cores, string powerSource, double periodMs);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Sampling the node failed, retrying at the next period: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}
