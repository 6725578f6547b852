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

        [LoggerMessage(EventId = 3450, EventName = "PostGisUnavailable", Level = LogLevel.Warning,
            Message = "PostGIS cannot be enabled in database {Database} ({Reason}); geo-queries are evaluated in the broker, without index. Install postgresql-15-postgis-3 (and let a superuser run CREATE EXTENSION postgis) to push them into SQL.")]
        public static partial void PostGisUnavailable(ILogger logger, string database, string reason);

        [LoggerMessage(EventId = 3451, EventName = "GeoLayerCreated", Level = LogLevel.Information,
            Message = "PostGIS geo layer created in database {Database} ({Rows} geometries of stored entities added).")]
        public static partial void GeoLayerCreated(ILogger logger, string database, long rows);

        [LoggerMessage(EventId = 3452, EventName = "PostGisDisabled", Level = LogLevel.Information,
            Message = "PostGIS is switched off (Broker:Postgres:UsePostGis=false); geo-queries are evaluated in the broker. Geo layer kept current for other brokers: {Maintained}.")]
        public static partial void PostGisDisabled(ILogger logger, bool maintained);

        [LoggerMessage(EventId = 3453, EventName = "GeoQueriesInDatabase", Level = LogLevel.Information,
            Message = "Geo-queries are narrowed by PostGIS (table entity_geo, GiST indexes).")]
        public static partial void GeoQueriesInDatabase(ILogger logger);

        [LoggerMessage(EventId = 3460, EventName = "RegexLeftToBroker", Level = LogLevel.Information,
            Message = "PostgreSQL rejected a regular expression of a query ({Reason}); the query runs again with its regular expressions evaluated in the broker.")]
        public static partial void RegexLeftToBroker(ILogger logger, string reason);

        [LoggerMessage(EventId = 3461, EventName = "GeoLayerAppeared", Level = LogLevel.Information,
            Message = "The PostGIS geo layer appeared in the database after this broker started; it is kept current from now on. Geo-queries narrowed by PostGIS: {Queries}.")]
        public static partial void GeoLayerAppeared(ILogger logger, bool queries);
    }
}
