using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// Writes an entity's rows of <c>attribute_values</c> on a read-write connection (inside the caller's
/// transaction). The table is keyed by value, so changing or removing rows needs the entity's previous entries. Rows are inserted several per statement: one statement per value would cost more than the
/// B-tree work itself.
/// </summary>
internal sealed class AttributeValueWriter : IDisposable
{
    /// <summary>Rows per multi-row INSERT.</summary>
    private const int RowsPerInsert = 32;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand?[] _inserts = new SqliteCommand?[RowsPerInsert + 1];
    private readonly SqliteCommand _deleteOne;
    private readonly List<IndexEntry> _pending = new(RowsPerInsert);

    public AttributeValueWriter(SqliteConnection connection)
    {
        _connection = connection;
        _deleteOne = Prepare(
            "DELETE FROM attribute_values WHERE tenant = $tenant AND id = $id AND name = $n0 AND kind = $k0 AND value = $v0",
            ["$tenant", "$id", "$n0", "$k0", "$v0"]);
    }

    /// <summary>Adds the rows of a new entity (one without rows).</summary>
    public void Insert(string tenant, string id, IEnumerable<IndexEntry> entries)
    {
        _pending.Clear();
        foreach (var entry in entries)
        {
            _pending.Add(entry);
            if (_pending.Count == RowsPerInsert)
            {
                Flush(tenant, id);
            }
        }
        Flush(tenant, id);
    }

    /// <summary>
    /// Changes the entity's rows from <paramref name="stored"/> (what its stored version holds) to
    /// <paramref name="entries"/>, touching only the rows that differ.
    /// </summary>
    public void Replace(string tenant, string id, HashSet<IndexEntry> stored, HashSet<IndexEntry> entries)
    {
        foreach (var entry in stored)
        {
            if (!entries.Contains(entry))
            {
                DeleteRow(tenant, id, entry);
            }
        }
        _pending.Clear();
        foreach (var entry in entries)
        {
            if (!stored.Contains(entry))
            {
                _pending.Add(entry);
                if (_pending.Count == RowsPerInsert)
                {
                    Flush(tenant, id);
                }
            }
        }
        Flush(tenant, id);
    }

    /// <summary>Removes the entity's rows (<paramref name="stored"/>: what its stored version holds).</summary>
    public void Delete(string tenant, string id, HashSet<IndexEntry> stored)
    {
        foreach (var entry in stored)
        {
            DeleteRow(tenant, id, entry);
        }
    }

    private void DeleteRow(string tenant, string id, in IndexEntry entry)
    {
        Bind(_deleteOne, tenant, id);
        BindEntry(_deleteOne, 0, entry);
        _deleteOne.ExecuteNonQuery();
    }

    private void Flush(string tenant, string id)
    {
        var count = _pending.Count;
        if (count == 0)
        {
            return;
        }
        var command = _inserts[count] ??= PrepareInsert(count);
        Bind(command, tenant, id);
        for (var i = 0; i < count; i++)
        {
            BindEntry(command, i, _pending[i]);
        }
        command.ExecuteNonQuery();
        _pending.Clear();
    }

    private static void Bind(SqliteCommand command, string tenant, string id)
    {
        command.Parameters[0].Value = tenant;
        command.Parameters[1].Value = id;
    }

    /// <summary>Binds row <paramref name="row"/> (parameters name, kind, value after tenant and id).</summary>
    private static void BindEntry(SqliteCommand command, int row, in IndexEntry entry)
    {
        var parameters = command.Parameters;
        var at = 2 + (row * 3);
        parameters[at].Value = entry.Name;
        parameters[at + 1].Value = (int)entry.Kind;
        parameters[at + 2].Value = entry.Kind switch
        {
            IndexedKind.String => entry.Text!,
            IndexedKind.Number => entry.Number,
            _ => entry.Number != 0 ? 1L : 0L,
        };
    }

    private SqliteCommand PrepareInsert(int rows)
    {
        var sql = new System.Text.StringBuilder("INSERT OR IGNORE INTO attribute_values (tenant, id, name, kind, value) VALUES ");
        var names = new List<string>(2 + (rows * 3)) { "$tenant", "$id" };
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append($"($tenant, $id, $n{i}, $k{i}, $v{i})");
            names.Add($"$n{i}");
            names.Add($"$k{i}");
            names.Add($"$v{i}");
        }
        return Prepare(sql.ToString(), names);
    }

    private SqliteCommand Prepare(string sql, List<string> parameters) => SqliteConnectionSetup.Prepare(_connection, sql, parameters);

    public void Dispose()
    {
        foreach (var command in _inserts)
        {
            command?.Dispose();
        }
        _deleteOne.Dispose();
    }
}
