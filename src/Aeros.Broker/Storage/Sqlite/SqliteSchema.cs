using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// The store's schema as an ordered list of migrations. <c>schema_version</c> holds the number of migrations
/// applied; <see cref="Migrate"/> applies the missing ones in one transaction, so running it again (or after a
/// crash half-way) is harmless.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Migration <c>i</c> brings the schema from version <c>i</c> to <c>i + 1</c>.</summary>
    private static readonly string[] Migrations =
    [
        // 1: tenants, entities (body = StoredEntityCodec bytes), the type index used for type selection.
        """
        CREATE TABLE tenants (
            name TEXT NOT NULL PRIMARY KEY
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO tenants (name) VALUES ('');
        -- A rowid table: bodies up to ~4 KB stay on their leaf page, and the (tenant, id) key index is small, so
        -- COUNT(*), OFFSET and id-ordered paging walk the index instead of every body.
        CREATE TABLE entities (
            tenant TEXT NOT NULL,
            id     TEXT NOT NULL,
            body   BLOB NOT NULL,
            PRIMARY KEY (tenant, id)
        );
        CREATE TABLE entity_types (
            tenant TEXT NOT NULL,
            type   TEXT NOT NULL,
            id     TEXT NOT NULL,
            PRIMARY KEY (tenant, type, id)
        ) WITHOUT ROWID;
        CREATE INDEX entity_types_by_id ON entity_types (tenant, id);
        """,
    ];

    /// <summary>The version this code writes and understands.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; returns the version found before.</summary>
    public static int Migrate(SqliteConnection connection)
    {
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int found;
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT version FROM schema_version";
                var value = read.ExecuteScalar();
                if (value is null)
                {
                    Execute(connection, "INSERT INTO schema_version (version) VALUES (0)");
                    found = 0;
                }
                else
                {
                    found = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            if (found > CurrentVersion)
            {
                throw new AerosException(
                    $"The entity database has schema version {found}, newer than this broker understands ({CurrentVersion}).");
            }
            for (var version = found; version < CurrentVersion; version++)
            {
                Execute(connection, Migrations[version]);
            }
            if (found != CurrentVersion)
            {
                Execute(connection, $"UPDATE schema_version SET version = {CurrentVersion}");
            }
            Execute(connection, "COMMIT");
            return found;
        }
        catch
        {
            TryRollback(connection);
            throw;
        }
    }

    private static void TryRollback(SqliteConnection connection)
    {
        try
        {
            Execute(connection, "ROLLBACK");
        }
        catch (SqliteException)
        {
            // No transaction left to roll back.
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
