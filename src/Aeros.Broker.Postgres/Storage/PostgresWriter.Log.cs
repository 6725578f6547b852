using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Postgres.Storage;

internal sealed partial class PostgresWriter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3420, EventName = "WriterStopped", Level = LogLevel.Debug, Message = "The PostgreSQL writer stopped.")]
        public static partial void WriterStopped(ILogger logger);

        [LoggerMessage(EventId = 3421, EventName = "WriterCrashed", Level = LogLevel.Critical, Message = "The PostgreSQL writer crashed; writes fail until restart.")]
        public static partial void WriterCrashed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3422, EventName = "BatchFailed", Level = LogLevel.Warning, Message = "A PostgreSQL write transaction of {Count} items failed.")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 3423, EventName = "SlowCommit", Level = LogLevel.Warning, Message = "A PostgreSQL write transaction of {Count} items took {Milliseconds} ms.")]
        public static partial void SlowCommit(ILogger logger, int count, double milliseconds);

        [LoggerMessage(EventId = 3424, EventName = "WriteRetried", Level = LogLevel.Information, Message = "A write in tenant '{Tenant}' lost a lock race and runs again: {Reason}")]
        public static partial void WriteRetried(ILogger logger, string tenant, string reason);

        [LoggerMessage(EventId = 3425, EventName = "WriterConnected", Level = LogLevel.Information, Message = "The PostgreSQL writer connected.")]
        public static partial void WriterConnected(ILogger logger);

        [LoggerMessage(EventId = 3426, EventName = "ConnectionLost", Level = LogLevel.Warning, Message = "The PostgreSQL writer lost its connection: {Reason}")]
        public static partial void ConnectionLost(ILogger logger, string reason);

        [LoggerMessage(EventId = 3462, EventName = "GeoLayerFound", Level = LogLevel.Information,
            Message = "The PostgreSQL writer found the geo layer another broker created and writes it from now on; geo rows of {Count} entities written since its last look re-derived (-1: all).")]
        public static partial void GeoLayerFound(ILogger logger, int count);
    }
}
