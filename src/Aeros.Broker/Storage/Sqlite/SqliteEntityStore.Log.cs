using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Storage.Sqlite;

internal sealed partial class SqliteEntityStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2100, EventName = "StoreOpened", Level = LogLevel.Information,
            Message = "Entity store opened at {Path} (schema version {Version}, durable writes: {Durable}).")]
        public static partial void StoreOpened(ILogger logger, string path, int version, bool durable);

        [LoggerMessage(EventId = 2101, EventName = "SchemaMigrated", Level = LogLevel.Information,
            Message = "Entity store schema migrated from version {From} to {To}.")]
        public static partial void SchemaMigrated(ILogger logger, int from, int to);

        [LoggerMessage(EventId = 2102, EventName = "WriterFailedAtShutdown", Level = LogLevel.Error,
            Message = "The entity store writer had failed before shutdown.")]
        public static partial void WriterFailedAtShutdown(ILogger logger, Exception exception);
    }
}
