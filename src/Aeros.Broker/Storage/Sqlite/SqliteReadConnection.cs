using System.Buffers;
using System.Collections.Concurrent;
using Aeros.Broker.Model;
using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// One read-only connection with its prepared commands. WAL lets any number of them read while the writer
/// writes; each statement (or explicit read transaction) sees the last committed state.
/// </summary>
internal sealed class SqliteReadConnection : IDisposable
{
    /// <summary>Shapes of the selection query; combined as flags.</summary>
    [Flags]
    internal enum Shape
    {
        None = 0,
        Ids = 1,
        Types = 2,
        Paged = 4,
        CountOnly = 8,
    }

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _get;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _scan;
    private readonly SqliteCommand _scanType;
    private readonly Dictionary<Shape, SqliteCommand> _queries = [];

    public SqliteReadConnection(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        SqliteConnectionSetup.Configure(_connection, readOnly: true, durable: false);
        _get = Prepare("SELECT body FROM entities WHERE tenant = $tenant AND id = $id", "$tenant", "$id");
        _begin = Prepare("BEGIN");
        _commit = Prepare("COMMIT");
        _scan = Prepare(
            "SELECT id, body FROM entities WHERE tenant = $tenant AND id > $after ORDER BY id LIMIT $limit",
            "$tenant", "$after", "$limit");
        _scanType = Prepare(
            """
            SELECT e.id, e.body FROM entity_types t
            JOIN entities e ON e.tenant = t.tenant AND e.id = t.id
            WHERE t.tenant = $tenant AND t.type = $type AND t.id > $after
            ORDER BY t.id LIMIT $limit
            """,
            "$tenant", "$type", "$after", "$limit");
    }

    public Entity? Get(string tenant, string id)
    {
        _get.Parameters[0].Value = tenant;
        _get.Parameters[1].Value = id;
        using var reader = _get.ExecuteReader();
        return reader.Read() ? DecodeBody(reader, 0) : null;
    }

    /// <summary>Starts a read transaction: the statements until <see cref="EndRead"/> see one snapshot.</summary>
    public void BeginRead() => _begin.ExecuteNonQuery();

    public void EndRead() => _commit.ExecuteNonQuery();

    /// <summary>
    /// The selection command for a shape, bound: <c>SELECT id, body</c> (or <c>COUNT(*)</c>) of the tenant's
    /// entities, restricted to <paramref name="idsJson"/> and entities having one of <paramref name="typesJson"/>
    /// (both JSON arrays of strings), ordered by id, optionally paged.
    /// </summary>
    public SqliteCommand Select(Shape shape, string tenant, string? idsJson, string? typesJson, int limit, int offset)
    {
        if (!_queries.TryGetValue(shape, out var command))
        {
            command = PrepareSelect(shape);
            _queries[shape] = command;
        }
        command.Parameters["$tenant"].Value = tenant;
        if ((shape & Shape.Ids) != 0)
        {
            command.Parameters["$ids"].Value = idsJson;
        }
        if ((shape & Shape.Types) != 0)
        {
            command.Parameters["$types"].Value = typesJson;
        }
        if ((shape & Shape.Paged) != 0)
        {
            command.Parameters["$limit"].Value = limit;
            command.Parameters["$offset"].Value = offset;
        }
        return command;
    }

    /// <summary>The next page of a keyset scan over the tenant (ids after <paramref name="after"/>).</summary>
    public SqliteCommand ScanPage(string tenant, string? type, string after, int limit)
    {
        var command = type is null ? _scan : _scanType;
        command.Parameters["$tenant"].Value = tenant;
        if (type is not null)
        {
            command.Parameters["$type"].Value = type;
        }
        command.Parameters["$after"].Value = after;
        command.Parameters["$limit"].Value = limit;
        return command;
    }

    /// <summary>Decodes the body column of the current row without allocating a copy of the blob.</summary>
    public static Entity DecodeBody(SqliteDataReader reader, int ordinal)
    {
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = (int)reader.GetBytes(ordinal, 0, buffer, 0, length);
            return StoredEntityCodec.Decode(buffer.AsSpan(0, read));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private SqliteCommand PrepareSelect(Shape shape)
    {
        var sql = new System.Text.StringBuilder();
        sql.Append((shape & Shape.CountOnly) != 0 ? "SELECT COUNT(*)" : "SELECT id, body");
        sql.Append(" FROM entities WHERE tenant = $tenant");
        var names = new List<string> { "$tenant" };
        if ((shape & Shape.Ids) != 0)
        {
            sql.Append(" AND id IN (SELECT value FROM json_each($ids))");
            names.Add("$ids");
        }
        if ((shape & Shape.Types) != 0)
        {
            sql.Append(" AND id IN (SELECT id FROM entity_types WHERE tenant = $tenant AND type IN (SELECT value FROM json_each($types)))");
            names.Add("$types");
        }
        if ((shape & Shape.CountOnly) == 0)
        {
            sql.Append(" ORDER BY id");
        }
        if ((shape & Shape.Paged) != 0)
        {
            sql.Append(" LIMIT $limit OFFSET $offset");
            names.Add("$limit");
            names.Add("$offset");
        }
        return Prepare(sql.ToString(), [.. names]);
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }
        command.Prepare();
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _queries.Values)
        {
            command.Dispose();
        }
        _get.Dispose();
        _begin.Dispose();
        _commit.Dispose();
        _scan.Dispose();
        _scanType.Dispose();
        _connection.Dispose();
    }
}

/// <summary>
/// Read connections kept for reuse. Renting never waits: when all are busy a new one opens, and connections
/// beyond <c>capacity</c> are closed when returned.
/// </summary>
internal sealed class SqliteReadPool : IDisposable
{
    private readonly string _connectionString;
    private readonly int _capacity;
    private readonly ConcurrentQueue<SqliteReadConnection> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    public SqliteReadPool(string connectionString, int capacity)
    {
        _connectionString = connectionString;
        _capacity = capacity;
    }

    public SqliteReadConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            return connection;
        }
        return new SqliteReadConnection(_connectionString);
    }

    public void Return(SqliteReadConnection connection)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > _capacity)
        {
            if (!_disposed)
            {
                Interlocked.Decrement(ref _idleCount);
            }
            connection.Dispose();
            return;
        }
        _idle.Enqueue(connection);
        if (_disposed && _idle.TryDequeue(out var late))
        {
            late.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryDequeue(out var connection))
        {
            connection.Dispose();
        }
    }
}
