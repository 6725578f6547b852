using Aeros.Broker.Model;
using Aeros.Broker.Postgres.Schema;
using Aeros.Broker.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The write session of one work item on the writer's connection, inside the open transaction. <see cref="Get"/>
/// locks the row (<c>SELECT ... FOR UPDATE</c>), so a read-modify-write of one entity by another broker process on
/// the same database waits for this transaction and then sees its result: concurrent PATCHes never lose updates.
/// Inserts use <c>ON CONFLICT DO NOTHING</c>: of concurrent creates of one id exactly one inserts.
/// </summary>
internal sealed class PostgresWriteSession
    : IEntityWriteSession
{
    // The entity row and its side rows (entity_numbers, entity_geo) change in one statement: one round trip, and
    // the side rows can never disagree with the row. Sub-statements share a snapshot, so a DELETE of the old side
    // rows does not see the INSERT of the new ones.
    private const string NumbersInsert =
        "n AS (INSERT INTO entity_numbers (tenant, id, attr, value) SELECT $1, e.id, u.attr, u.value FROM e, unnest($6::text[], $7::float8[]) AS u(attr, value))";

    private const string GeoInsert = """
        g AS (INSERT INTO entity_geo (tenant, id, attr, geom, puntal)
              SELECT $1, e.id, u.attr, u.geom, CASE WHEN u.puntal THEN u.geom::geography END
              FROM e, (SELECT v.attr, ST_GeomFromWKB(v.wkb, 4326) AS geom, v.puntal
                       FROM unnest($8::text[], $9::bytea[], $10::bool[]) AS v(attr, wkb, puntal)) AS u)
        """;

    private const string InsertSql =
        "WITH e AS (INSERT INTO entities (tenant, id, types, body, doc, vals) VALUES ($1, $2, $3, $4, convert_from($4, 'UTF8')::jsonb, $5) ON CONFLICT DO NOTHING RETURNING id), "
        + NumbersInsert;

    private const string UpdateSql =
        "WITH e AS (UPDATE entities SET types = $3, body = $4, doc = convert_from($4, 'UTF8')::jsonb, vals = $5 WHERE tenant = $1 AND id = $2 RETURNING id), "
        + "dn AS (DELETE FROM entity_numbers WHERE tenant = $1 AND id = $2), " + NumbersInsert;

    private const string DeleteSql =
        "WITH e AS (DELETE FROM entities WHERE tenant = $1 AND id = $2 RETURNING body), dn AS (DELETE FROM entity_numbers WHERE tenant = $1 AND id = $2)";

    private const string GeoDelete = "dg AS (DELETE FROM entity_geo WHERE tenant = $1 AND id = $2)";

    private readonly NpgsqlConnection _connection;
    private readonly string _origin;
    private readonly bool _geo;
    private readonly string _insertSql;
    private readonly string _updateSql;
    private readonly string _deleteSql;
    private string? _tenant;
    private DateTimeOffset? _recordAt;
    private readonly Dictionary<string, byte[]?> _bodies = new(StringComparer.Ordinal);
    private List<EntityChange>? _changes;

    /// <param name="connection">The writer's open connection.</param>
    /// <param name="origin">This process's id in resource-change notifications (it ignores its own).</param>
    /// <param name="geo">Whether the database has the PostGIS layer (<c>entity_geo</c>) to keep current.</param>
    public PostgresWriteSession(NpgsqlConnection connection, string origin, bool geo)
    {
        _connection = connection;
        _origin = origin;
        _geo = geo;
        _insertSql = (geo ? $"{InsertSql}, {GeoInsert}" : InsertSql) + " SELECT count(*) FROM e";
        _updateSql = (geo ? $"{UpdateSql}, {GeoDelete}, {GeoInsert}" : UpdateSql) + " SELECT count(*) FROM e";
        _deleteSql = (geo ? $"{DeleteSql}, {GeoDelete}" : DeleteSql) + " SELECT body FROM e";
    }

    private string Tenant => _tenant ?? throw new InvalidOperationException("The write session is used outside its work.");

    /// <summary>Binds the session to a work item; with <paramref name="recordAt"/> its entity changes are recorded.</summary>
    public void Begin(string tenant, DateTimeOffset? recordAt)
    {
        _tenant = tenant;
        _recordAt = recordAt;
        _bodies.Clear();
        _changes = null;
    }

    /// <summary>The changes recorded since <see cref="Begin"/> (null when none or not recording).</summary>
    public List<EntityChange>? TakeChanges()
    {
        var changes = _changes;
        _changes = null;
        return changes;
    }

    /// <summary>Ends the work item.</summary>
    public void End()
    {
        _tenant = null;
        _recordAt = null;
        _bodies.Clear();
        _changes = null;
    }

    private void Record(string id, byte[]? before, byte[]? after)
    {
        _bodies[id] = after;
        (_changes ??= []).Add(new EntityChange(Tenant, id, before, after, _recordAt!.Value));
    }

    /// <summary>
    /// When set (the database had no geo layer at the writer's last look), the keys of the entities this session
    /// touches are added, so that the writer can re-derive their geo rows if the layer turns out to have appeared.
    /// </summary>
    public ISet<(string Tenant, string Id)>? Touched { get; set; }

    private NpgsqlCommand Command(string sql, string id)
    {
        Touched?.Add((Tenant, id));
        var command = new NpgsqlCommand(sql, _connection);
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = Tenant });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = id });
        return command;
    }

    private byte[]? ReadLocked(string id)
    {
        using var command = Command("SELECT body FROM entities WHERE tenant = $1 AND id = $2 FOR UPDATE", id);
        return command.ExecuteScalar() as byte[];
    }

    public Entity? Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var body = ReadLocked(id);
        if (body is null)
        {
            return null;
        }
        if (_recordAt is not null)
        {
            _bodies[id] = body;
        }
        return StoredEntityCodec.Decode(body);
    }

    public bool Insert(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var body = StoredEntityCodec.Encode(entity);
        using var command = Command(_insertSql, entity.Id);
        AddRow(command, entity, body);
        if ((long)command.ExecuteScalar()! == 0)
        {
            return false;
        }
        if (_recordAt is not null)
        {
            Record(entity.Id, before: null, body);
        }
        return true;
    }

    public void Update(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var before = _recordAt is null ? null : _bodies.TryGetValue(entity.Id, out var known) ? known : ReadLocked(entity.Id);
        var body = StoredEntityCodec.Encode(entity);
        using var command = Command(_updateSql, entity.Id);
        AddRow(command, entity, body);
        if ((long)command.ExecuteScalar()! == 0)
        {
            throw new InvalidOperationException($"Entity '{entity.Id}' cannot be updated: it does not exist.");
        }
        if (_recordAt is not null)
        {
            Record(entity.Id, before, body);
        }
    }

    public bool Delete(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var command = Command(_deleteSql, id);
        if (command.ExecuteScalar() is not byte[] before)
        {
            return false;
        }
        if (_recordAt is not null)
        {
            Record(id, _bodies.TryGetValue(id, out var known) ? known : before, after: null);
        }
        return true;
    }

    public string? GetResource(string kind, string id)
    {
        using var command = ResourceCommand("SELECT body FROM resources WHERE tenant = $1 AND id = $2 AND kind = $3", kind, id);
        return command.ExecuteScalar() as string;
    }

    public bool InsertResource(string kind, string id, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var command = ResourceCommand("INSERT INTO resources (tenant, id, kind, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", kind, id);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
        return Notified(command.ExecuteNonQuery() > 0, kind, id);
    }

    public bool UpdateResource(string kind, string id, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var command = ResourceCommand("UPDATE resources SET body = $4 WHERE tenant = $1 AND id = $2 AND kind = $3", kind, id);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
        return Notified(command.ExecuteNonQuery() > 0, kind, id);
    }

    public bool DeleteResource(string kind, string id)
    {
        using var command = ResourceCommand("DELETE FROM resources WHERE tenant = $1 AND id = $2 AND kind = $3", kind, id);
        return Notified(command.ExecuteNonQuery() > 0, kind, id);
    }

    /// <summary>
    /// Tells the other broker processes on this database that the resource changed (delivered at commit, dropped on
    /// rollback); they re-read it into their registries.
    /// </summary>
    private bool Notified(bool changed, string kind, string id)
    {
        if (changed)
        {
            using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", _connection);
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PostgresSchema.ResourceChannel });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ResourceNotification.Format(_origin, kind, Tenant, id) });
            notify.ExecuteNonQuery();
        }
        return changed;
    }

    private NpgsqlCommand ResourceCommand(string sql, string kind, string id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        var command = Command(sql, id);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        return command;
    }

    private void AddRow(NpgsqlCommand command, Entity entity, byte[] body)
    {
        var rows = EntityValues.Rows(entity, _geo);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entity.Types] });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = body });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rows.Vals, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.NumberNames });
        command.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = rows.Numbers });
        if (_geo)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.GeoNames });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.GeoShapes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = rows.GeoPuntal });
        }
    }
}

/// <summary>The payload of a resource-change notification: <c>origin \u001f kind \u001f tenant \u001f id</c>.</summary>
internal static class ResourceNotification
{
    private const char Separator = '\u001f';

    public static string Format(string origin, string kind, string tenant, string id) =>
        string.Join(Separator, origin, kind, tenant, id);

    public static bool TryParse(string payload, out string origin, out string kind, out string tenant, out string id)
    {
        var parts = payload.Split(Separator);
        if (parts.Length != 4)
        {
            origin = kind = tenant = id = "";
            return false;
        }
        (origin, kind, tenant, id) = (parts[0], parts[1], parts[2], parts[3]);
        return true;
    }
}
