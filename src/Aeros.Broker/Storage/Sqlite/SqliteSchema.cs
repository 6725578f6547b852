using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// The store's schema as an ordered list of migrations. <c>schema_version</c> holds the number of migrations
/// applied; <see cref="Migrate"/> applies the missing ones in one transaction, so running it again (or after a
/// crash half-way) is harmless.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>
    /// Migration <c>i</c> brings the schema from version <c>i</c> to <c>i + 1</c>. Each runs inside the migration
    /// transaction and must be harmless to run again (a crash rolls the whole transaction back).
    /// </summary>
    private static readonly Action<SqliteConnection>[] Migrations =
    [
        // 1: tenants, entities (body = StoredEntityCodec bytes), the type index used for type selection.
        connection => Execute(connection, """
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
        """),
        // 2: the value index of q pushdown (attribute_values), backfilled from the stored bodies.
        CreateAttributeValues,
        // 3: other broker resources (subscriptions, registrations) as JSON documents, per kind and tenant.
        connection => Execute(connection, """
        CREATE TABLE IF NOT EXISTS resources (
            kind   TEXT NOT NULL,
            tenant TEXT NOT NULL,
            id     TEXT NOT NULL,
            body   TEXT NOT NULL,
            PRIMARY KEY (kind, tenant, id)
        ) WITHOUT ROWID;
        """),
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
                Migrations[version](connection);
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

    /// <summary>
    /// Migration 2: <c>attribute_values</c> holds, per entity, each scalar its indexed top-level attributes hold
    /// (<see cref="AttributeValueIndex"/>, <see cref="AttributeIndexPolicy"/>). <c>value</c> has no declared type, so
    /// it keeps what is bound: TEXT for strings (kind 0), REAL for numbers (kind 1), INTEGER 1/0 for booleans
    /// (kind 2); a TEXT never equals a number there. One B-tree, keyed in lookup order (a value's entities come out
    /// ordered by id): the write session knows an entity's previous values when it changes or deletes it, so no
    /// second index by entity is needed. <c>index_policy</c> records which attributes the rows cover; the table
    /// starts empty and <see cref="ReconcileIndex"/> fills it for the configured policy.
    /// </summary>
    private static void CreateAttributeValues(SqliteConnection connection)
    {
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS attribute_values (
                tenant TEXT    NOT NULL,
                name   TEXT    NOT NULL,
                kind   INTEGER NOT NULL,
                value          NOT NULL,
                id     TEXT    NOT NULL,
                PRIMARY KEY (tenant, name, kind, value, id)
            ) WITHOUT ROWID;
            DELETE FROM attribute_values;
            CREATE TABLE IF NOT EXISTS index_policy (fingerprint TEXT NOT NULL);
            DELETE FROM index_policy;
            INSERT INTO index_policy (fingerprint) VALUES ('');
            """);
    }

    /// <summary>
    /// Makes <c>attribute_values</c> cover exactly the attributes of <paramref name="policy"/>: when the policy
    /// differs from the one the rows were built for, the rows are rebuilt from the stored bodies in one
    /// transaction. Returns whether a rebuild happened.
    /// </summary>
    public static bool ReconcileIndex(SqliteConnection connection, AttributeIndexPolicy policy)
    {
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            string? current;
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT fingerprint FROM index_policy";
                current = read.ExecuteScalar() as string;
            }
            if (current == policy.Fingerprint)
            {
                Execute(connection, "COMMIT");
                return false;
            }
            Execute(connection, "DELETE FROM attribute_values");
            if (!policy.IsEmpty)
            {
                using var values = new AttributeValueWriter(connection);
                using var select = connection.CreateCommand();
                select.CommandText = "SELECT tenant, id, body FROM entities";
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    var entity = SqliteReadConnection.DecodeBody(reader, 2);
                    values.Insert(reader.GetString(0), reader.GetString(1), AttributeValueIndex.Entries(entity, policy));
                }
            }
            using (var write = connection.CreateCommand())
            {
                write.CommandText = "DELETE FROM index_policy; INSERT INTO index_policy (fingerprint) VALUES ($f)";
                write.Parameters.AddWithValue("$f", policy.Fingerprint);
                write.ExecuteNonQuery();
            }
            Execute(connection, "COMMIT");
            return true;
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
