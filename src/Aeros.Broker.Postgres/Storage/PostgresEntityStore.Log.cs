using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Postgres.Storage;

internal sealed partial class PostgresEntityStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3400, EventName = "StoreOpened", Level = LogLevel.Information,
            Message = "PostgreSQL entity store opened on {Host}/{Database} (schema version {Version}).")]
        public static partial void StoreOpened(ILogger logger, string host, string database, int version);

        [LoggerMessage(EventId = 3401, EventName = "SchemaMigrated", Level = LogLevel.Information,
            Message = "PostgreSQL schema migrated from version {From} to {To}.")]
        public static partial void SchemaMigrated(ILogger logger, int from, int to);

        [LoggerMessage(EventId = 3402, EventName = "WriterFailedAtShutdown", Level = LogLevel.Error,
            Message = "The PostgreSQL writer had failed before shutdown.")]
        public static partial void WriterFailedAtShutdown(ILogger logger, Exception exception);
    }
}
