using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Storage.Sqlite;

internal sealed partial class SqliteWriter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2110, EventName = "BatchCommitted", Level = LogLevel.Trace,
            Message = "Committed {Count} writes in one transaction in {ElapsedMs:F2} ms.")]
        public static partial void BatchCommitted(ILogger logger, int count, double elapsedMs);

        [LoggerMessage(EventId = 2111, EventName = "SlowCommit", Level = LogLevel.Warning,
            Message = "Committing {Count} writes took {ElapsedMs:F0} ms; the disk may be overloaded.")]
        public static partial void SlowCommit(ILogger logger, int count, double elapsedMs);

        [LoggerMessage(EventId = 2112, EventName = "BatchFailed", Level = LogLevel.Error,
            Message = "A transaction of {Count} writes failed; none of them was stored.")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 2113, EventName = "RollbackFailed", Level = LogLevel.Error,
            Message = "Rolling back a failed transaction failed.")]
        public static partial void RollbackFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2114, EventName = "WriterStopped", Level = LogLevel.Debug,
            Message = "The entity store writer stopped after draining its queue.")]
        public static partial void WriterStopped(ILogger logger);

        [LoggerMessage(EventId = 2115, EventName = "WriterCrashed", Level = LogLevel.Critical,
            Message = "The entity store writer crashed; pending and later writes fail.")]
        public static partial void WriterCrashed(ILogger logger, Exception exception);
    }
}
