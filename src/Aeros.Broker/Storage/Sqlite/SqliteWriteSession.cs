using Aeros.Broker.Model;
using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// The write session of one work item, on the writer's connection inside the open transaction, so it reads
/// its own uncommitted writes. Keeps <c>entity_types</c> in step with the entities' types and
/// <c>attribute_values</c> (the value index of q pushdown) with their attribute values.
/// </summary>
internal sealed class SqliteWriteSession : IEntityWriteSession, IDisposable
{
    private readonly SqliteCommand _select, _insert, _update, _delete, _insertType, _deleteTypes;
    private readonly SqliteCommand _getResource, _insertResource, _updateResource, _deleteResource;
    private readonly AttributeValueWriter _values;

    /// <summary>Types as stored, for entities this work read or wrote (spares rewriting unchanged type rows).</summary>
    private readonly Dictionary<string, string[]> _storedTypes = new(StringComparer.Ordinal);

    /// <summary>Value index entries as stored, for entities this work read or wrote (the rows to change or delete).</summary>
    private readonly Dictionary<string, HashSet<IndexEntry>> _storedEntries = new(StringComparer.Ordinal);

    private readonly AttributeIndexPolicy _policy;

    private string? _tenant;

    /// <summary>When set, the changes of this work are recorded (with this time) for the change feed.</summary>
    private DateTimeOffset? _recordAt;

    /// <summary>While recording: each touched entity's body as it stands in this work (null = absent).</summary>
    private readonly Dictionary<string, byte[]?> _bodies = new(StringComparer.Ordinal);

    private List<EntityChange>? _changes;

    public SqliteWriteSession(SqliteConnection connection, AttributeIndexPolicy policy)
    {
        _select = Prepare(connection, "SELECT body FROM entities WHERE tenant = $tenant AND id = $id", "$tenant", "$id");
        _insert = Prepare(connection,
            "INSERT INTO entities (tenant, id, body) VALUES ($tenant, $id, $body) ON CONFLICT DO NOTHING",
            "$tenant", "$id", "$body");
        _update = Prepare(connection, "UPDATE entities SET body = $body WHERE tenant = $tenant AND id = $id", "$tenant", "$id", "$body");
        _delete = Prepare(connection, "DELETE FROM entities WHERE tenant = $tenant AND id = $id", "$tenant", "$id");
        _insertType = Prepare(connection,
            "INSERT OR IGNORE INTO entity_types (tenant, type, id) VALUES ($tenant, $type, $id)", "$tenant", "$id", "$type");
        _deleteTypes = Prepare(connection, "DELETE FROM entity_types WHERE tenant = $tenant AND id = $id", "$tenant", "$id");
        _getResource = Prepare(connection, "SELECT body FROM resources WHERE tenant = $tenant AND id = $id AND kind = $kind",
            "$tenant", "$id", "$kind");
        _insertResource = Prepare(connection,
            "INSERT INTO resources (tenant, id, kind, body) VALUES ($tenant, $id, $kind, $body) ON CONFLICT DO NOTHING",
            "$tenant", "$id", "$kind", "$body");
        _updateResource = Prepare(connection, "UPDATE resources SET body = $body WHERE tenant = $tenant AND id = $id AND kind = $kind",
            "$tenant", "$id", "$kind", "$body");
        _deleteResource = Prepare(connection, "DELETE FROM resources WHERE tenant = $tenant AND id = $id AND kind = $kind",
            "$tenant", "$id", "$kind");
        _values = new AttributeValueWriter(connection);
        _policy = policy;
    }

    private string Tenant => _tenant ?? throw new InvalidOperationException("The write session is used outside its work.");

    /// <summary>
    /// Binds the session to a work item's tenant. With <paramref name="recordAt"/> the work's entity changes are
    /// recorded (see <see cref="TakeChanges"/>), stamped with that time.
    /// </summary>
    public void Begin(string tenant, DateTimeOffset? recordAt = null)
    {
        _tenant = tenant;
        _recordAt = recordAt;
        _storedTypes.Clear();
        _storedEntries.Clear();
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

    /// <summary>Ends the work item: the session may no longer be used by it.</summary>
    public void End()
    {
        _tenant = null;
        _recordAt = null;
        _storedTypes.Clear();
        _storedEntries.Clear();
        _bodies.Clear();
        _changes = null;
    }

    /// <summary>Records a change of <paramref name="id"/> from <paramref name="before"/> to <paramref name="after"/> (null = absent).</summary>
    private void Record(string id, byte[]? before, byte[]? after)
    {
        _bodies[id] = after;
        (_changes ??= []).Add(new EntityChange(Tenant, id, before, after, _recordAt!.Value));
    }

    /// <summary>The entity's body as it stands in this work (read from the database the first time).</summary>
    private byte[]? CurrentBody(string id) => _bodies.TryGetValue(id, out var known) ? known : ReadBody(id);

    private byte[]? ReadBody(string id)
    {
        Bind(_select, id);
        using var reader = _select.ExecuteReader();
        return reader.Read() ? (byte[])reader.GetValue(0) : null;
    }

    public Entity? Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Bind(_select, id);
        using var reader = _select.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        Entity entity;
        if (_recordAt is not null)
        {
            var body = (byte[])reader.GetValue(0);
            _bodies[id] = body;
            entity = StoredEntityCodec.Decode(body);
        }
        else
        {
            entity = SqliteReadConnection.DecodeBody(reader, 0);
        }
        _storedTypes[id] = [.. entity.Types];
        _storedEntries[id] = AttributeValueIndex.Entries(entity, _policy); // before the caller changes the entity
        return entity;
    }

    public bool Insert(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        Bind(_insert, entity.Id);
        var body = StoredEntityCodec.Encode(entity);
        _insert.Parameters[2].Value = body;
        if (_insert.ExecuteNonQuery() == 0)
        {
            return false;
        }
        if (_recordAt is not null)
        {
            Record(entity.Id, before: null, body);
        }
        InsertTypes(entity.Id, entity.Types);
        _storedTypes[entity.Id] = [.. entity.Types];
        var entries = AttributeValueIndex.Entries(entity, _policy);
        _values.Insert(Tenant, entity.Id, entries);
        _storedEntries[entity.Id] = entries;
        return true;
    }

    public void Update(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        // Without indexed attributes there are no rows to replace: skip reading the stored body.
        var storedEntries = _policy.IsEmpty ? [] : StoredEntries(entity.Id);
        var before = _recordAt is null ? null : CurrentBody(entity.Id);
        Bind(_update, entity.Id);
        var body = StoredEntityCodec.Encode(entity);
        _update.Parameters[2].Value = body;
        if (storedEntries is null || _update.ExecuteNonQuery() == 0)
        {
            throw new InvalidOperationException($"Entity '{entity.Id}' cannot be updated: it does not exist.");
        }
        if (_recordAt is not null)
        {
            Record(entity.Id, before, body);
        }
        var entries = AttributeValueIndex.Entries(entity, _policy);
        _values.Replace(Tenant, entity.Id, storedEntries, entries);
        _storedEntries[entity.Id] = entries;
        if (_storedTypes.TryGetValue(entity.Id, out var stored) && SameSet(stored, entity.Types))
        {
            return;
        }
        Bind(_deleteTypes, entity.Id);
        _deleteTypes.ExecuteNonQuery();
        InsertTypes(entity.Id, entity.Types);
        _storedTypes[entity.Id] = [.. entity.Types];
    }

    public bool Delete(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var stored = _policy.IsEmpty ? [] : StoredEntries(id);
        if (stored is null)
        {
            return false;
        }
        var before = _recordAt is null ? null : CurrentBody(id);
        Bind(_delete, id);
        if (_delete.ExecuteNonQuery() == 0)
        {
            return false;
        }
        if (_recordAt is not null)
        {
            Record(id, before, after: null);
        }
        Bind(_deleteTypes, id);
        _deleteTypes.ExecuteNonQuery();
        _values.Delete(Tenant, id, stored);
        _storedTypes.Remove(id);
        _storedEntries.Remove(id);
        return true;
    }

    public string? GetResource(string kind, string id)
    {
        BindResource(_getResource, kind, id);
        return _getResource.ExecuteScalar() as string;
    }

    public bool InsertResource(string kind, string id, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        BindResource(_insertResource, kind, id);
        _insertResource.Parameters[3].Value = json;
        return _insertResource.ExecuteNonQuery() > 0;
    }

    public bool UpdateResource(string kind, string id, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        BindResource(_updateResource, kind, id);
        _updateResource.Parameters[3].Value = json;
        return _updateResource.ExecuteNonQuery() > 0;
    }

    public bool DeleteResource(string kind, string id)
    {
        BindResource(_deleteResource, kind, id);
        return _deleteResource.ExecuteNonQuery() > 0;
    }

    private void BindResource(SqliteCommand command, string kind, string id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        Bind(command, id);
        command.Parameters[2].Value = kind;
    }

    /// <summary>The value index entries of the stored entity (from this work, else read), or null when it does not exist.</summary>
    private HashSet<IndexEntry>? StoredEntries(string id)
    {
        if (_storedEntries.TryGetValue(id, out var entries))
        {
            return entries;
        }
        Bind(_select, id);
        using var reader = _select.ExecuteReader();
        return reader.Read() ? AttributeValueIndex.Entries(SqliteReadConnection.DecodeBody(reader, 0), _policy) : null;
    }

    private void InsertTypes(string id, List<string> types)
    {
        Bind(_insertType, id);
        foreach (var type in types)
        {
            _insertType.Parameters[2].Value = type;
            _insertType.ExecuteNonQuery();
        }
    }

    private void Bind(SqliteCommand command, string id)
    {
        command.Parameters[0].Value = Tenant;
        command.Parameters[1].Value = id;
    }

    private static bool SameSet(string[] stored, List<string> types)
    {
        if (stored.Length != types.Count)
        {
            return false;
        }
        foreach (var type in types)
        {
            if (Array.IndexOf(stored, type) < 0)
            {
                return false;
            }
        }
        return true;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters) =>
        SqliteConnectionSetup.Prepare(connection, sql, parameters);

    public void Dispose()
    {
        foreach (var command in (SqliteCommand[])[_select, _insert, _update, _delete, _insertType, _deleteTypes,
            _getResource, _insertResource, _updateResource, _deleteResource])
        {
            command.Dispose();
        }
        _values.Dispose();
    }
}
