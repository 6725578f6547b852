using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Workloads;

internal sealed partial class WorkloadManager
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Workload {Workload} created ({Kind})")]
    private static partial void LogCreated(ILogger logger, string workload, WorkloadKind kind);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Workload {Workload} updated; its old run is stopped")]
    private static partial void LogUpdated(ILogger logger, string workload);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Workload {Workload} removed")]
    private static partial void LogRemoved(ILogger logger, string workload);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Workload {Workload} recovered from the state file (last run {InstanceId})")]
    private static partial void LogRecovered(ILogger logger, string workload, string instanceId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Workload {Workload} ended with exit code {ExitCode} after {Seconds:0.###} s")]
    private static partial void LogExited(ILogger logger, string workload, string exitCode, double seconds);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Workload {Workload} is restarted in {Seconds:0.###} s: {Reason}")]
    private static partial void LogRestarting(ILogger logger, string workload, double seconds, string reason);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Workload {Workload} is crash-looping: {Failures} quick failures in a row")]
    private static partial void LogCrashLoop(ILogger logger, string workload, int failures);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Error, Message = "Workload {Workload} failed and is not retried until its spec changes: {Reason}")]
    private static partial void LogFailed(ILogger logger, string workload, string reason);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Warning, Message = "Workload {Workload} could not be stopped cleanly: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string workload, string reason);

    [LoggerMessage(EventId = 4109, Level = LogLevel.Warning, Message = "Workload {Workload}: the run left by the earlier agent could not be adopted: {Reason}")]
    private static partial void LogAdoptFailed(ILogger logger, string workload, string reason);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Error, Message = "The supervisor of workload {Workload} failed")]
    private static partial void LogSupervisorCrashed(ILogger logger, Exception exception, string workload);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "A listener of workload status changes failed on {Workload}")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception, string workload);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "The workload state file {Path} cannot be written: {Reason}")]
    private static partial void LogPersistFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "The workload state file {Path} is unreadable and moved to {Aside}; starting without workloads: {Reason}")]
    private static partial void LogStateUnreadable(ILogger logger, string path, string aside, string reason);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Warning, Message = "A workload in the state file is skipped: {Reason}")]
    private static partial void LogStateSkipped(ILogger logger, string reason);
}
