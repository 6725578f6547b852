using Npgsql;

namespace Aeros.Broker.Postgres.Schema;

/// <summary>
/// The database schema as versioned migrations. <see cref="MigrateAsync"/> runs the missing ones in one transaction
/// under a transaction-scoped advisory lock, so brokers starting together against one database migrate it once and
/// the others wait, then find it current. Migrations only ever append; a database newer than this code is refused.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key of migrations ("aeros" in ASCII).</summary>
    internal const long MigrationLockKey = 0x6165726F73;

    /// <summary>The NOTIFY channel of resource changes (subscriptions, registrations) between replicas.</summary>
    internal const string ResourceChannel = "aeros_resources";

    /// <summary>The migrations, in order; the version reached after migration i is i + 1.</summary>
    internal static readonly string[] Migrations =
    [
        // 1: tenants, entities, resources.
        """
        CREATE TABLE tenants (name text COLLATE "C" PRIMARY KEY);
        -- body: the lossless stored form (StoredEntityCodec: attribute and instance order, timestamps to the tick);
        -- doc: the same document as JSONB for SQL over entities (and for analytics tools);
        -- vals: per attribute, the scalars a q term can compare ({"s":[strings],"n":[numbers],"b":[booleans]}).
        CREATE TABLE entities (
            tenant text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            types text[] NOT NULL,
            body bytea NOT NULL,
            doc jsonb NOT NULL,
            vals jsonb NOT NULL,
            PRIMARY KEY (tenant, id)
        );
        CREATE INDEX entities_types ON entities USING gin (types);
        CREATE INDEX entities_vals ON entities USING gin (vals jsonb_path_ops);
        CREATE TABLE resources (
            tenant text COLLATE "C" NOT NULL,
            kind text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (kind, tenant, id)
        );
        """,
        // 2: the first type of each entity with its id, so "type=T ordered by id" pages from an index.
        """
        CREATE INDEX entities_first_type ON entities (tenant, (types[1]), id);
        """,
        // 3: the numbers of every attribute as rows, so numeric ranges of q are answered from a B-tree (the GIN
        // index on vals has no ranges). Kept by the writer in the statement that writes the entity; existing
        // entities are backfilled from vals.
        """
        CREATE TABLE entity_numbers (
            tenant text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            attr text COLLATE "C" NOT NULL,
            value double precision NOT NULL
        );
        INSERT INTO entity_numbers (tenant, id, attr, value)
            SELECT e.tenant, e.id, a.key, n.value::double precision
            FROM entities e
            CROSS JOIN LATERAL jsonb_each(e.vals) AS a
            CROSS JOIN LATERAL jsonb_array_elements_text(a.value -> 'n') AS n(value);
        -- A selective range drives from the values; a broad one pages entities in id order and probes per entity.
        CREATE INDEX entity_numbers_value ON entity_numbers (tenant, attr, value) INCLUDE (id);
        CREATE INDEX entity_numbers_entity ON entity_numbers (tenant, id, attr, value);
        """,
        // 4: vals marks attributes that hold strings longer than "s" keeps ({"l":true}), so regular expressions and
        // string ranges of q can narrow in SQL without losing them; the backfill marks every attribute with a string
        // of more than 128 code points (at least as many as the broker marks: those have more than 256 UTF-16 units),
        // which only adds candidates. A GIN index on the scopes answers scopeQ's exact scopes.
        """
        UPDATE entities e SET vals = e.vals || x.flags
        FROM (SELECT f.tenant, f.id, jsonb_object_agg(a.key, coalesce(f.vals -> a.key, '{}'::jsonb) || '{"l":true}'::jsonb) AS flags
              FROM entities f
              CROSS JOIN LATERAL jsonb_each(f.doc -> 'a') AS a
              WHERE EXISTS (SELECT 1 FROM jsonb_path_query(a.value, 'lax $[*].v.**') AS s(v)
                            WHERE jsonb_typeof(s.v) = 'string' AND length(s.v #>> '{}') > 128)
              GROUP BY f.tenant, f.id) AS x
        WHERE e.tenant = x.tenant AND e.id = x.id;
        CREATE INDEX IF NOT EXISTS entities_scopes ON entities USING gin ((doc -> 's') jsonb_path_ops);
        """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; returns the version found.</summary>
    public static async Task<int> MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS aeros_schema (version integer NOT NULL)", cancellationToken);
        int found;
        await using (var command = new NpgsqlCommand("SELECT max(version) FROM aeros_schema", connection))
        {
            found = await command.ExecuteScalarAsync(cancellationToken) is int version ? version : 0;
        }
        if (found > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database schema is at version {found}, newer than this broker's {CurrentVersion}; upgrade the broker.");
        }
        for (var version = found; version < CurrentVersion; version++)
        {
            await ExecuteAsync(connection, Migrations[version], cancellationToken);
        }
        if (found < CurrentVersion)
        {
            await ExecuteAsync(connection, "DELETE FROM aeros_schema", cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO aeros_schema (version) VALUES ($1)", connection);
            record.Parameters.Add(new NpgsqlParameter { Value = CurrentVersion });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return found;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
