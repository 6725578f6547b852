using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Aeros.Broker.Postgres.Schema;

/// <summary>What became of PostGIS when the store opened.</summary>
internal enum GeoLayerState
{
    /// <summary><see cref="PostgresStoreOptions.UsePostGis"/> is off and the database has no geo layer.</summary>
    Disabled,

    /// <summary>PostGIS could not be enabled (not installed, or the role may not create it): geo-queries run in process.</summary>
    Unavailable,

    /// <summary>The geo layer existed already.</summary>
    Present,

    /// <summary>This start created the geo layer and filled it from the stored entities.</summary>
    Created,
}

/// <summary>
/// The optional PostGIS layer: table <c>entity_geo</c>, one row per GeoProperty instance with a geometry
/// (<c>geom</c>, GiST-indexed, for the bounding-box narrowing of within/contains/intersects/equals/overlaps) and, for
/// points and multi-points, a <c>puntal</c> geography (GiST-indexed, for near on the sphere). It is not one of the
/// numbered migrations because it depends on the server: the first broker start that can enable PostGIS creates it
/// (under the migration lock) and backfills it; from then on every broker on the database keeps it current.
/// </summary>
internal static class PostgresGeoLayer
{
    /// <summary>The table of the layer.</summary>
    public const string Table = "entity_geo";

    private const string CreateSql = """
        CREATE TABLE entity_geo (
            tenant text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            attr text COLLATE "C" NOT NULL,
            geom geometry(Geometry, 4326) NOT NULL,
            puntal geography
        );
        CREATE INDEX entity_geo_geom ON entity_geo USING gist (geom);
        CREATE INDEX entity_geo_puntal ON entity_geo USING gist (puntal);
        CREATE INDEX entity_geo_entity ON entity_geo (tenant, id, attr);
        CREATE INDEX entity_geo_shapes ON entity_geo (tenant, attr, id) WHERE puntal IS NULL;
        """;

    /// <summary>Inserts rows from parallel arrays ($1 tenants, $2 ids, $3 attributes, $4 WKB, $5 puntal).</summary>
    private const string BackfillSql = """
        INSERT INTO entity_geo (tenant, id, attr, geom, puntal)
        SELECT r.tenant, r.id, r.attr, r.geom, CASE WHEN r.puntal THEN r.geom::geography END
        FROM (SELECT u.tenant, u.id, u.attr, ST_GeomFromWKB(u.wkb, 4326) AS geom, u.puntal
              FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bool[]) AS u(tenant, id, attr, wkb, puntal)) AS r
        """;

    /// <summary>Whether the database has the layer (then every writer must keep it current).</summary>
    public static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regclass('{Table}') IS NOT NULL", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// Enables PostGIS (<c>CREATE EXTENSION IF NOT EXISTS postgis</c>) and creates and backfills the layer unless it
    /// exists, in one transaction under the migration lock. A failure to enable the extension is not an error: the
    /// state says <see cref="GeoLayerState.Unavailable"/> and <c>Reason</c> why.
    /// </summary>
    public static async Task<(GeoLayerState State, string? Reason, long Rows)> EnsureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({PostgresSchema.MigrationLockKey})", cancellationToken);
        if (await ExistsAsync(connection, cancellationToken))
        {
            await transaction.CommitAsync(cancellationToken);
            return (GeoLayerState.Present, null, 0);
        }
        await transaction.SaveAsync("postgis", cancellationToken);
        try
        {
            await ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS postgis", cancellationToken);
        }
        catch (PostgresException e) when (!PostgresErrors.IsUnavailable(e))
        {
            // Not installed (58P01), not allowed (42501), ...: the store works without it.
            await transaction.RollbackAsync("postgis", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (GeoLayerState.Unavailable, $"{e.SqlState}: {e.MessageText}", 0);
        }
        // Writers of brokers that do not keep the layer yet hold ROW EXCLUSIVE while they look for it (PostgresWriter):
        // SHARE waits for them and holds new writes until the layer is committed, so a writer either wrote before the
        // backfill reads, or finds the layer and re-derives what it wrote since it last looked.
        await ExecuteAsync(connection, "LOCK TABLE entities IN SHARE MODE", cancellationToken);
        await ExecuteAsync(connection, CreateSql, cancellationToken);
        var rows = await BackfillAsync(connection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (GeoLayerState.Created, null, rows);
    }

    /// <summary>Fills the layer from the stored entities, in keyset chunks; returns the rows written.</summary>
    private static async Task<long> BackfillAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        long written = 0;
        var (afterTenant, afterId) = ("", "");
        while (true)
        {
            var entities = new List<(string Tenant, byte[] Body)>(PostgresEntityStore.ChunkSize);
            await using (var select = new NpgsqlCommand(
                $"SELECT tenant, id, body FROM entities WHERE (tenant, id) > ($1, $2) ORDER BY tenant, id LIMIT {PostgresEntityStore.ChunkSize}", connection))
            {
                select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterTenant });
                select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterId });
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    (afterTenant, afterId) = (reader.GetString(0), reader.GetString(1));
                    entities.Add((afterTenant, (byte[])reader.GetValue(2)));
                }
            }
            if (InsertCommand(connection, entities) is { } insert)
            {
                await using (insert)
                {
                    written += await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            if (entities.Count < PostgresEntityStore.ChunkSize)
            {
                return written;
            }
        }
    }

    /// <summary>
    /// Re-derives the rows of the given entities (those gone lose theirs), or of every entity when
    /// <paramref name="keys"/> is null; synchronous, for the writer's thread inside its transaction.
    /// </summary>
    public static long Repair(NpgsqlConnection connection, IReadOnlyCollection<(string Tenant, string Id)>? keys)
    {
        string[] tenants = keys is null ? [] : [.. keys.Select(k => k.Tenant)];
        string[] ids = keys is null ? [] : [.. keys.Select(k => k.Id)];
        var filter = keys is null ? "" : " WHERE (tenant, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";
        using (var delete = new NpgsqlCommand("DELETE FROM entity_geo" + filter, connection))
        {
            AddKeys(delete, keys, tenants, ids);
            delete.ExecuteNonQuery();
        }
        var entities = new List<(string Tenant, byte[] Body)>();
        using (var select = new NpgsqlCommand("SELECT tenant, body FROM entities" + filter, connection))
        {
            AddKeys(select, keys, tenants, ids);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                entities.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
            }
        }
        long written = 0;
        for (var start = 0; start < entities.Count; start += PostgresEntityStore.ChunkSize)
        {
            if (InsertCommand(connection, entities.GetRange(start, Math.Min(PostgresEntityStore.ChunkSize, entities.Count - start))) is { } insert)
            {
                using (insert)
                {
                    written += insert.ExecuteNonQuery();
                }
            }
        }
        return written;
    }

    private static void AddKeys(NpgsqlCommand command, IReadOnlyCollection<(string, string)>? keys, string[] tenants, string[] ids)
    {
        if (keys is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        }
    }

    /// <summary>The INSERT of the geo rows of <paramref name="entities"/>, or null when they have none.</summary>
    private static NpgsqlCommand? InsertCommand(NpgsqlConnection connection, List<(string Tenant, byte[] Body)> entities)
    {
        var (tenants, ids, names, shapes, puntal) = (new List<string>(), new List<string>(), new List<string>(), new List<byte[]>(), new List<bool>());
        foreach (var (tenant, body) in entities)
        {
            var entity = StoredEntityCodec.Decode(body);
            var rows = EntityValues.Rows(entity, geo: true);
            for (var i = 0; i < rows.GeoNames.Length; i++)
            {
                tenants.Add(tenant);
                ids.Add(entity.Id);
                names.Add(rows.GeoNames[i]);
                shapes.Add(rows.GeoShapes[i]);
                puntal.Add(rows.GeoPuntal[i]);
            }
        }
        if (tenants.Count == 0)
        {
            return null;
        }
        var insert = new NpgsqlCommand(BackfillSql, connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. tenants] });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. names] });
        insert.Parameters.Add(new NpgsqlParameter { Value = shapes.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        insert.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. puntal] });
        return insert;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
