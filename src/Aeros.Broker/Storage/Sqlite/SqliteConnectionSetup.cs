using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>Connection strings and per-connection settings of the store's database.</summary>
internal static class SqliteConnectionSetup
{
    /// <summary>How long a statement waits for a lock before failing (milliseconds).</summary>
    public const int BusyTimeoutMilliseconds = 5000;

    public static string ConnectionString(string path, bool readOnly) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        // The store keeps its own long-lived connections; ADO.NET pooling would only keep files open after dispose.
        Pooling = false,
    }.ToString();

    /// <summary>
    /// Applies the settings every connection needs. The writer also turns on WAL (persistent in the file) and
    /// chooses how commits are synced: FULL syncs the WAL on every commit (survives power loss), NORMAL leaves
    /// it to the OS (survives a process crash, since a commit is in the OS's cache when it returns).
    /// </summary>
    public static void Configure(SqliteConnection connection, bool readOnly, bool durable)
    {
        if (!readOnly)
        {
            using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new AerosException($"The entity database could not switch to WAL mode (got '{mode}').");
            }
            // After a checkpoint, shrink a WAL that grew during a burst back to at most this size.
            SqliteSchema.Execute(connection, "PRAGMA journal_size_limit = 67108864");
        }
        var synchronous = durable ? "FULL" : "NORMAL";
        SqliteSchema.Execute(connection, $"""
            PRAGMA busy_timeout = {BusyTimeoutMilliseconds};
            PRAGMA synchronous = {synchronous};
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = {(readOnly ? -8192 : -32768)};
            PRAGMA mmap_size = 0; -- no mapping: each connection's mapping counted in the RSS again, read() + page cache is enough
            """);
    }

    /// <summary>Creates and prepares a command whose parameters are bound later (prepared once, reused).</summary>
    public static SqliteCommand Prepare(SqliteConnection connection, string sql, IEnumerable<string> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }
        command.Prepare();
        return command;
    }
}
