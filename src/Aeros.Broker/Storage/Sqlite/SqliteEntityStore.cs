using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite database (<c>{DataDirectory}/entities.db</c>) in WAL mode. Writes go through
/// <see cref="SqliteWriter"/> (one connection, group commit); reads use a pool of read-only connections, which
/// WAL lets run alongside the writer. Entities are stored as <see cref="StoredEntityCodec"/> blobs keyed by
/// (tenant, id), with <c>entity_types</c> indexing their types for type selection.
/// </summary>
internal sealed partial class SqliteEntityStore : IEntityStore
{
    /// <summary>The database file name inside the data directory.</summary>
    public const string FileName = "entities.db";

    /// <summary>Entities read per round trip by <see cref="ScanAsync"/>.</summary>
    internal const int ScanPageSize = 256;

    private readonly BrokerOptions _options;
    private readonly AttributeIndexPolicy _indexPolicy;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteEntityStore> _logger;
    private readonly EntityChangeFeed _changes;
    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private SqliteWriter? _writer;
    private SqliteReadPool? _readers;
    private int _disposed;

    public SqliteEntityStore(IOptions<BrokerOptions> options, TimeProvider time, ILogger<SqliteEntityStore> logger, EntityChangeFeed? changes = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _indexPolicy = AttributeIndexPolicy.From(_options.IndexedAttributes);
        _time = time;
        _logger = logger;
        _changes = changes ?? new EntityChangeFeed();
    }

    /// <summary>Transactions committed and work items they carried, since start (for tests and load figures).</summary>
    internal (long Commits, long Items) WriteGroups => _writer is { } w ? (w.Commits, w.CommittedItems) : (0, 0);

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(Path.GetFullPath(_options.DataDirectory), FileName);

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("The entity store is already initialized.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        var path = DatabasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(path, readOnly: false));
        SqliteWriter? writer = null;
        try
        {
            connection.Open();
            SqliteConnectionSetup.Configure(connection, readOnly: false, durable: _options.DurableWrites);
            var found = SqliteSchema.Migrate(connection);
            SqliteSchema.ReconcileIndex(connection, _indexPolicy);
            if (found != SqliteSchema.CurrentVersion)
            {
                Log.SchemaMigrated(_logger, found, SqliteSchema.CurrentVersion);
            }
            LoadTenants(connection);
            writer = new SqliteWriter(connection, _tenants, _time, _logger, _indexPolicy, _changes);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        var readers = new SqliteReadPool(SqliteConnectionSetup.ConnectionString(path, readOnly: true),
            capacity: Math.Clamp(Environment.ProcessorCount * 2, 4, 64));
        readers.Return(readers.Rent()); // opens one now so a broken database fails at start, not on first read
        _readers = readers;
        _writer = writer;
        writer.Start();
        Log.StoreOpened(_logger, path, SqliteSchema.CurrentVersion, _options.DurableWrites);
        return Task.CompletedTask;
    }

    private void LoadTenants(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM tenants";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _tenants.TryAdd(reader.GetString(0), 0);
        }
        _tenants.TryAdd(Tenants.Default, 0);
    }

    /// <inheritdoc/>
    /// <remarks>Answered from memory: this process is the database's only writer and tenants are never removed.</remarks>
    public ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ThrowIfNotReady();
        return ValueTask.FromResult(_tenants.ContainsKey(tenant));
    }

    public async ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(id);
        var readers = Readers;
        var connection = await readers.RentAsync(cancellationToken);
        try
        {
            return connection.Get(tenant, id);
        }
        finally
        {
            readers.Return(connection);
        }
    }

    public Task<T> WriteAsync<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfNotReady();
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        if (!createTenant && !_tenants.ContainsKey(tenant))
        {
            return Task.FromException<T>(new UnknownTenantException(tenant));
        }
        return _writer!.Enqueue(tenant, createTenant, work, cancellationToken);
    }

    public async Task<QueryPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        var readers = Readers;
        var connection = await readers.RentAsync(cancellationToken);
        try
        {
            return Query(connection, tenant, query, cancellationToken);
        }
        finally
        {
            readers.Return(connection);
        }
    }

    private QueryPage Query(SqliteReadConnection connection, string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        if (query.Limit == 0 && !query.Count)
        {
            return new QueryPage([], null);
        }
        if (query.Ids is { Count: 0 })
        {
            return new QueryPage([], query.Count ? 0 : null);
        }

        // What the database selects: the tenant, the ids, and entities having any type the expression names.
        // For a plain OR of types that is exact; otherwise a superset checked again in process.
        var shape = SqliteReadConnection.Shape.None;
        string? idsJson = null, typesJson = null;
        var typesExact = true;
        if (query.Ids is { } ids)
        {
            shape |= SqliteReadConnection.Shape.Ids;
            idsJson = ToJsonArray(ids);
        }
        if (query.Types is { IsWildcard: false } types)
        {
            var all = types.AllTypes;
            if (all.Count == 0)
            {
                return new QueryPage([], query.Count ? 0 : null);
            }
            shape |= SqliteReadConnection.Shape.Types;
            if (all.Count == 1)
            {
                shape |= SqliteReadConnection.Shape.SingleType;
            }
            typesJson = ToJsonArray(all);
            typesExact = types.IsSimpleDisjunction;
        }
        var filter = EntityQueryFilter.Create(query, typesExact);
        return filter.IsEmpty
            ? QueryInDatabase(connection, shape, tenant, idsJson, typesJson, query)
            : QueryFiltered(connection, shape, tenant, idsJson, typesJson, query, filter, cancellationToken);
    }

    /// <summary>Everything is decided by the database: page with LIMIT/OFFSET, count with COUNT(*) on the key index.</summary>
    private static QueryPage QueryInDatabase(SqliteReadConnection connection, SqliteReadConnection.Shape shape,
        string tenant, string? idsJson, string? typesJson, EntityQuery query)
    {
        long? count = null;
        var entities = new List<Entity>(Math.Min(query.Limit, 1024));
        if (query.Count)
        {
            connection.BeginRead(); // the count and the page from one snapshot
        }
        try
        {
            if (query.Count)
            {
                var countCommand = connection.Select(shape | SqliteReadConnection.Shape.CountOnly, tenant, idsJson, typesJson, 0, 0);
                count = Convert.ToInt64(countCommand.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
            if (query.Limit > 0 && (count is null || count > query.Offset))
            {
                var select = connection.Select(shape | SqliteReadConnection.Shape.Paged, tenant, idsJson, typesJson, query.Limit, query.Offset);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    entities.Add(SqliteReadConnection.DecodeBody(reader, 1));
                }
            }
        }
        finally
        {
            if (query.Count)
            {
                connection.EndRead();
            }
        }
        return new QueryPage(entities, count);
    }

    /// <summary>Streams the database's candidates in id order and applies the rest of the query in process.</summary>
    private QueryPage QueryFiltered(SqliteReadConnection connection, SqliteReadConnection.Shape shape,
        string tenant, string? idsJson, string? typesJson, EntityQuery query, EntityQueryFilter filter,
        CancellationToken cancellationToken)
    {
        var entities = new List<Entity>(Math.Min(query.Limit, 1024));
        long matched = 0;
        var pageEnd = (long)query.Offset + query.Limit;
        // Simple q conjuncts narrow the candidates through the value index; q itself is still evaluated below.
        var terms = PushedTerm.Extract(query.Q);
        terms.RemoveAll(term => !_indexPolicy.Indexes(term.Name));
        var select = terms.Count == 0
            ? connection.Select(shape, tenant, idsJson, typesJson, 0, 0)
            : connection.SelectPushed(shape, tenant, idsJson, typesJson, terms, ChooseDriver(connection, tenant, terms),
                query.Types?.AllTypes is [var singleType] ? singleType : null);
        using var reader = select.ExecuteReader();
        var rows = 0;
        while (reader.Read())
        {
            if ((++rows & 0xFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (!filter.MatchesId(reader.GetString(0)))
            {
                continue;
            }
            var inPage = matched >= query.Offset && matched < pageEnd;
            if (filter.NeedsEntity || inPage)
            {
                var entity = SqliteReadConnection.DecodeBody(reader, 1);
                if (!filter.Matches(entity))
                {
                    continue;
                }
                if (inPage)
                {
                    entities.Add(entity);
                }
            }
            matched++;
            if (matched >= pageEnd && !query.Count)
            {
                break;
            }
        }
        return new QueryPage(entities, query.Count ? matched : null);
    }

    /// <summary>
    /// Which pushed term drives the selection: the one with the fewest matching rows, if it has fewer than
    /// <see cref="DrivingCap"/>; otherwise -1 (the candidates come in id order from the id/type selection and
    /// each term is probed by key, which reads no more rows than the page needs). Counting stops at the cap,
    /// and once a term is found with at most <see cref="SelectiveEnough"/> rows the others are not counted.
    /// </summary>
    internal static int ChooseDriver(SqliteReadConnection connection, string tenant, List<PushedTerm> terms)
    {
        var order = new int[terms.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => terms[a].Rank != terms[b].Rank ? terms[a].Rank.CompareTo(terms[b].Rank) : a.CompareTo(b));
        var driver = -1;
        long fewest = DrivingCap;
        foreach (var i in order)
        {
            var estimate = connection.Estimate(tenant, terms[i], DrivingCap);
            if (estimate < fewest)
            {
                fewest = estimate;
                driver = i;
                if (estimate <= SelectiveEnough)
                {
                    break;
                }
            }
        }
        return driver;
    }

    /// <summary>A term matching this many rows or more does not drive a query (see <see cref="ChooseDriver"/>).</summary>
    internal const int DrivingCap = 1000;

    /// <summary>A term matching at most this many rows drives without looking at the others.</summary>
    internal const int SelectiveEnough = 50;

    public async Task<IReadOnlyList<StoredResource>> ListResourcesAsync(string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ThrowIfNotReady();
        var readers = Readers;
        var connection = await readers.RentAsync(cancellationToken);
        try
        {
            return connection.ListResources(kind);
        }
        finally
        {
            readers.Return(connection);
        }
    }

    public async IAsyncEnumerable<Entity> ScanAsync(string tenant, IReadOnlyList<string>? types,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ThrowIfNotReady();
        // Keyset pages: no connection or snapshot is held while the caller consumes entities.
        var distinctTypes = types is null ? null : types.Distinct(StringComparer.Ordinal).ToArray();
        var passes = distinctTypes?.Length ?? 1;
        for (var pass = 0; pass < passes; pass++)
        {
            var type = distinctTypes?[pass];
            var after = "";
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var readers = Readers;
                var connection = await readers.RentAsync(cancellationToken);
                List<Entity> page;
                string? lastId;
                try
                {
                    page = ReadScanPage(connection, tenant, type, after, out lastId);
                }
                finally
                {
                    readers.Return(connection);
                }
                foreach (var entity in page)
                {
                    // An entity with several of the types was already produced by the pass of the earliest one.
                    if (pass > 0 && HasAnyOf(entity, distinctTypes!, pass))
                    {
                        continue;
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return entity;
                }
                if (lastId is null)
                {
                    break;
                }
                after = lastId;
                await Task.Yield();
            }
        }
    }

    /// <summary>One page of a scan; <paramref name="lastId"/> is null when the scan is over.</summary>
    private static List<Entity> ReadScanPage(SqliteReadConnection connection, string tenant, string? type, string after, out string? lastId)
    {
        var page = new List<Entity>(ScanPageSize);
        lastId = null;
        string? last = null;
        using (var reader = connection.ScanPage(tenant, type, after, ScanPageSize).ExecuteReader())
        {
            while (reader.Read())
            {
                last = reader.GetString(0);
                page.Add(SqliteReadConnection.DecodeBody(reader, 1));
            }
        }
        if (page.Count == ScanPageSize)
        {
            lastId = last;
        }
        return page;
    }

    private static bool HasAnyOf(Entity entity, string[] types, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (entity.Types.Contains(types[i], StringComparer.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static string ToJsonArray(IReadOnlyList<string> values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + values.Count * 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private SqliteReadPool Readers
    {
        get
        {
            ThrowIfNotReady();
            return _readers!;
        }
    }

    private void ThrowIfNotReady()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_writer is null)
        {
            throw new InvalidOperationException("The entity store is not initialized; call InitializeAsync first.");
        }
    }

    /// <summary>Stops accepting writes, lets the writer commit what is queued, then closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_writer is { } writer)
        {
            writer.Complete();
            try
            {
                await writer.Stopped.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.WriterFailedAtShutdown(_logger, ex);
            }
            writer.Dispose();
        }
        _readers?.Dispose();
    }
}
