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
        /// <summary>With <see cref="Types"/>: exactly one type, so rows stream from the type index already in id order.</summary>
        SingleType = 16,
    }

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _get;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _scan;
    private readonly SqliteCommand _scanType;
    private readonly Dictionary<Shape, SqliteCommand> _queries = [];

    /// <summary>Statements of queries with pushed-down q terms, by shape (see <see cref="SelectPushed"/>).</summary>
    private readonly Dictionary<string, SqliteCommand> _pushed = new(StringComparer.Ordinal);

    /// <summary>Distinct pushdown shapes kept prepared; beyond that the cache starts over.</summary>
    private const int MaxPushedShapes = 128;

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

    /// <summary>
    /// How many entities (rows of <c>attribute_values</c>) satisfy <paramref name="term"/>, counting no further
    /// than <paramref name="cap"/>: an index-only probe that tells a selective term from a broad one.
    /// </summary>
    public long Estimate(string tenant, PushedTerm term, int cap)
    {
        var key = "estimate " + term.Shape;
        if (!_pushed.TryGetValue(key, out var command))
        {
            var sql = new System.Text.StringBuilder("SELECT COUNT(*) FROM (SELECT 1 FROM attribute_values d WHERE d.tenant = $tenant AND ");
            var names = new List<string> { "$tenant" };
            term.AppendCondition(sql, "d", "$d", names);
            sql.Append(" LIMIT $cap)");
            names.Add("$cap");
            command = CachePushed(key, sql.ToString(), names);
        }
        command.Parameters["$tenant"].Value = tenant;
        command.Parameters["$cap"].Value = cap;
        term.Bind(command, "$d");
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// The selection command (<c>SELECT id, body</c>, ordered by id) of a query with pushed-down q terms, bound:
    /// as <see cref="Select"/>, restricted further to entities with an indexed value satisfying each term.
    /// The rows come from the value index of term <paramref name="driver"/> when it is 0 or more (a selective
    /// term: its candidates are few), otherwise from the id or type selection; every other equality term (and
    /// the types) is probed per candidate row by key.
    /// </summary>
    public SqliteCommand SelectPushed(Shape shape, string tenant, string? idsJson, string? typesJson,
        IReadOnlyList<PushedTerm> terms, int driver, string? singleType = null)
    {
        // One type and no driving term: the rows stream from the type index in id order.
        var byType = driver < 0 && (shape & Shape.Types) != 0 && singleType is not null;
        var key = new System.Text.StringBuilder().Append((int)shape).Append(' ').Append(driver).Append(byType ? " t" : "");
        foreach (var term in terms)
        {
            key.Append(' ').Append(term.Shape);
        }
        var keyText = key.ToString();
        if (!_pushed.TryGetValue(keyText, out var command))
        {
            command = PrepareSelectPushed(keyText, shape, terms, driver, byType);
        }
        command.Parameters["$tenant"].Value = tenant;
        if ((shape & Shape.Ids) != 0)
        {
            command.Parameters["$ids"].Value = idsJson;
        }
        if (byType)
        {
            command.Parameters["$type"].Value = singleType;
        }
        else if ((shape & Shape.Types) != 0)
        {
            command.Parameters["$types"].Value = typesJson;
        }
        for (var i = 0; i < terms.Count; i++)
        {
            if (i == driver || !terms[i].IsRange)
            {
                terms[i].Bind(command, TermPrefix(i));
            }
        }
        return command;
    }

    private static string TermPrefix(int index) => "$p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private SqliteCommand PrepareSelectPushed(string key, Shape shape, IReadOnlyList<PushedTerm> terms, int driver, bool byType)
    {
        var sql = new System.Text.StringBuilder();
        var names = new List<string> { "$tenant" };
        string order;
        if (driver >= 0 && terms[driver].IsSingleValue)
        {
            // One value: the index yields its rows ordered by id, so rows stream in result order (no sort) and
            // reading stops with the page.
            sql.Append("SELECT e.id, e.body FROM attribute_values v JOIN entities e ON e.tenant = v.tenant AND e.id = v.id WHERE v.tenant = $tenant AND ");
            terms[driver].AppendCondition(sql, "v", TermPrefix(driver), names);
            order = " ORDER BY v.id";
        }
        else if (driver >= 0)
        {
            sql.Append("SELECT e.id, e.body FROM entities e WHERE e.tenant = $tenant AND e.id IN (SELECT v.id FROM attribute_values v WHERE v.tenant = $tenant AND ");
            terms[driver].AppendCondition(sql, "v", TermPrefix(driver), names);
            sql.Append(')');
            order = " ORDER BY e.id";
        }
        else if (byType)
        {
            sql.Append("SELECT e.id, e.body FROM entity_types t JOIN entities e ON e.tenant = t.tenant AND e.id = t.id WHERE t.tenant = $tenant AND t.type = $type");
            names.Add("$type");
            order = " ORDER BY t.id";
        }
        else
        {
            sql.Append("SELECT e.id, e.body FROM entities e WHERE e.tenant = $tenant");
            order = " ORDER BY e.id";
        }
        if ((shape & Shape.Ids) != 0)
        {
            sql.Append(" AND e.id IN (SELECT value FROM json_each($ids))");
            names.Add("$ids");
        }
        if ((shape & Shape.Types) != 0 && !byType)
        {
            // Driven by the type index when no term drives; otherwise probed per candidate.
            sql.Append(driver < 0
                ? " AND e.id IN (SELECT id FROM entity_types WHERE tenant = $tenant AND type IN (SELECT value FROM json_each($types)))"
                : " AND EXISTS (SELECT 1 FROM entity_types t WHERE t.tenant = $tenant AND t.id = e.id AND t.type IN (SELECT value FROM json_each($types)))");
            names.Add("$types");
        }
        for (var i = 0; i < terms.Count; i++)
        {
            // attribute_values is keyed (tenant, name, kind, value, id): an equality is a point probe per
            // candidate, a range is not (it would walk the range), so ranges that do not drive are left to q.
            if (i == driver || terms[i].IsRange)
            {
                continue;
            }
            var alias = "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            sql.Append(" AND EXISTS (SELECT 1 FROM attribute_values ").Append(alias).Append(" WHERE ")
                .Append(alias).Append(".tenant = $tenant AND ").Append(alias).Append(".id = e.id AND ");
            terms[i].AppendCondition(sql, alias, TermPrefix(i), names);
            sql.Append(')');
        }
        sql.Append(order);
        return CachePushed(key, sql.ToString(), names);
    }

    private SqliteCommand CachePushed(string key, string sql, List<string> names)
    {
        if (_pushed.Count >= MaxPushedShapes)
        {
            foreach (var old in _pushed.Values)
            {
                old.Dispose();
            }
            _pushed.Clear();
        }
        var command = Prepare(sql, [.. names]);
        _pushed[key] = command;
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
        var names = new List<string> { "$tenant" };
        var countOnly = (shape & Shape.CountOnly) != 0;
        string idColumn;
        if ((shape & Shape.SingleType) != 0)
        {
            // Walk the type index (tenant, type, id): rows come in id order, so ORDER BY needs no sort and a page
            // stops early; an IN (subquery) over a large type would first be materialised as a whole.
            sql.Append(countOnly ? "SELECT COUNT(*)" : "SELECT e.id, e.body");
            sql.Append(" FROM entity_types t");
            if (!countOnly)
            {
                sql.Append(" JOIN entities e ON e.tenant = t.tenant AND e.id = t.id");
            }
            sql.Append(" WHERE t.tenant = $tenant AND t.type = (SELECT value FROM json_each($types))");
            names.Add("$types");
            idColumn = "t.id";
        }
        else
        {
            sql.Append(countOnly ? "SELECT COUNT(*)" : "SELECT id, body");
            sql.Append(" FROM entities WHERE tenant = $tenant");
            if ((shape & Shape.Types) != 0)
            {
                sql.Append(" AND id IN (SELECT id FROM entity_types WHERE tenant = $tenant AND type IN (SELECT value FROM json_each($types)))");
                names.Add("$types");
            }
            idColumn = "id";
        }
        if ((shape & Shape.Ids) != 0)
        {
            sql.Append($" AND {idColumn} IN (SELECT value FROM json_each($ids))");
            names.Add("$ids");
        }
        if (!countOnly)
        {
            sql.Append($" ORDER BY {idColumn}");
        }
        if ((shape & Shape.Paged) != 0)
        {
            sql.Append(" LIMIT $limit OFFSET $offset");
            names.Add("$limit");
            names.Add("$offset");
        }
        return Prepare(sql.ToString(), [.. names]);
    }

    /// <summary>Every stored resource of the kind, over all tenants.</summary>
    public List<StoredResource> ListResources(string kind)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT tenant, id, body FROM resources WHERE kind = $kind ORDER BY tenant, id";
        command.Parameters.AddWithValue("$kind", kind);
        using var reader = command.ExecuteReader();
        var resources = new List<StoredResource>();
        while (reader.Read())
        {
            resources.Add(new StoredResource(kind, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return resources;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters) => SqliteConnectionSetup.Prepare(_connection, sql, parameters);

    public void Dispose()
    {
        foreach (var command in _queries.Values)
        {
            command.Dispose();
        }
        foreach (var command in _pushed.Values)
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

    // At most _capacity connections are in use at once; further readers wait here (asynchronously) instead of
    // opening more connections: under load that bounds memory (each connection has its own page cache) and the
    // threads busy in SQLite, and spares opening and preparing connections that are thrown away afterwards.
    private readonly SemaphoreSlim _gate;
    private int _idleCount;
    private volatile bool _disposed;

    public SqliteReadPool(string connectionString, int capacity)
    {
        _connectionString = connectionString;
        _capacity = capacity;
        _gate = new SemaphoreSlim(capacity, capacity);
    }

    /// <summary>Waits for a free slot, then hands out an idle connection or opens one.</summary>
    public async ValueTask<SqliteReadConnection> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_gate.Wait(0))
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return TakeOrOpen();
    }

    /// <summary>Like <see cref="RentAsync"/>, blocking; only for start-up.</summary>
    public SqliteReadConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _gate.Wait();
        return TakeOrOpen();
    }

    private SqliteReadConnection TakeOrOpen()
    {
        try
        {
            if (_idle.TryDequeue(out var idle))
            {
                Interlocked.Decrement(ref _idleCount);
                return idle;
            }
            return new SqliteReadConnection(_connectionString);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    public void Return(SqliteReadConnection connection)
    {
        try
        {
            ReturnToIdle(connection);
        }
        finally
        {
            if (!_disposed)
            {
                _gate.Release();
            }
        }
    }

    private void ReturnToIdle(SqliteReadConnection connection)
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
