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
    private readonly AttributeValueWriter _values;

    /// <summary>Types as stored, for entities this work read or wrote (spares rewriting unchanged type rows).</summary>
    private readonly Dictionary<string, string[]> _storedTypes = new(StringComparer.Ordinal);

    /// <summary>Value index entries as stored, for entities this work read or wrote (the rows to change or delete).</summary>
    private readonly Dictionary<string, HashSet<IndexEntry>> _storedEntries = new(StringComparer.Ordinal);

    private readonly AttributeIndexPolicy _policy;

    private string? _tenant;

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
        _values = new AttributeValueWriter(connection);
        _policy = policy;
    }

    private string Tenant => _tenant ?? throw new InvalidOperationException("The write session is used outside its work.");

    /// <summary>Binds the session to a work item's tenant.</summary>
    public void Begin(string tenant)
    {
        _tenant = tenant;
        _storedTypes.Clear();
        _storedEntries.Clear();
    }

    /// <summary>Ends the work item: the session may no longer be used by it.</summary>
    public void End()
    {
        _tenant = null;
        _storedTypes.Clear();
        _storedEntries.Clear();
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
        var entity = SqliteReadConnection.DecodeBody(reader, 0);
        _storedTypes[id] = [.. entity.Types];
        _storedEntries[id] = AttributeValueIndex.Entries(entity, _policy); // before the caller changes the entity
        return entity;
    }

    public bool Insert(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        Bind(_insert, entity.Id);
        _insert.Parameters[2].Value = StoredEntityCodec.Encode(entity);
        if (_insert.ExecuteNonQuery() == 0)
        {
            return false;
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
        Bind(_update, entity.Id);
        _update.Parameters[2].Value = StoredEntityCodec.Encode(entity);
        if (storedEntries is null || _update.ExecuteNonQuery() == 0)
        {
            throw new InvalidOperationException($"Entity '{entity.Id}' cannot be updated: it does not exist.");
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
        Bind(_delete, id);
        if (_delete.ExecuteNonQuery() == 0)
        {
            return false;
        }
        Bind(_deleteTypes, id);
        _deleteTypes.ExecuteNonQuery();
        _values.Delete(Tenant, id, stored);
        _storedTypes.Remove(id);
        _storedEntries.Remove(id);
        return true;
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
        foreach (var command in (SqliteCommand[])[_select, _insert, _update, _delete, _insertType, _deleteTypes])
        {
            command.Dispose();
        }
        _values.Dispose();
    }
}
