using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Aeros.Broker.Model;
using Aeros.Broker.Postgres.Schema;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The PostgreSQL store: entities in table <c>entities</c> (lossless body, JSONB document, JSONB scalar values per
/// attribute), resources (subscriptions, registrations) in <c>resources</c>, tenants in <c>tenants</c>. Writes go
/// through <see cref="PostgresWriter"/> (group commit, row locks); reads use the data source's pool. Several broker
/// processes may share one database: resource changes reach the others through <see cref="ResourceListener"/>.
/// </summary>
internal sealed partial class PostgresEntityStore : IEntityStore
{
    /// <summary>Rows read per round trip while filtering candidates in process, and per scan page.</summary>
    internal const int ChunkSize = 500;

    private readonly BrokerOptions _broker;
    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresEntityStore> _logger;
    private readonly EntityChangeFeed _changes;
    private readonly ResourceChangeFeed _resources;
    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private NpgsqlDataSource? _dataSource;
    private PostgresWriter? _writer;
    private ResourceListener? _listener;
    private bool _geoQueries;
    private int _disposed;

    public PostgresEntityStore(IOptions<BrokerOptions> broker, IOptions<PostgresStoreOptions> options, TimeProvider time,
        ILogger<PostgresEntityStore> logger, EntityChangeFeed changes, ResourceChangeFeed resources)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        _broker = broker.Value;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _changes = changes;
        _resources = resources;
    }

    /// <summary>Transactions committed and work items they carried, since start.</summary>
    internal (long Commits, long Items) WriteGroups => _writer is { } w ? (w.Commits, w.CommittedItems) : (0, 0);

    /// <summary>What became of PostGIS at start.</summary>
    internal GeoLayerState GeoLayer { get; private set; }

    /// <summary>Whether geo-queries are narrowed by the geo layer now.</summary>
    internal bool GeoQueries => Volatile.Read(ref _geoQueries);

    /// <summary>The data source (for tests and tools).</summary>
    internal NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The store is not initialized.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("The entity store is already initialized.");
        }
        var builder = new NpgsqlConnectionStringBuilder(_broker.PostgresConnectionString);
        var given = new NpgsqlConnectionStringBuilder(_broker.PostgresConnectionString);
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = _options.ConnectTimeoutSeconds;
        }
        if (!given.ContainsKey("Command Timeout"))
        {
            builder.CommandTimeout = _options.CommandTimeoutSeconds;
        }
        if (!given.ContainsKey("Maximum Pool Size"))
        {
            builder.MaxPoolSize = _options.MaxPoolSize;
        }
        if (!given.ContainsKey("Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = 64; // the store's statements are few and hot: prepare them on each connection
        }
        builder.ApplicationName ??= "aeros-broker";
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using (var connection = await OpenAsync(dataSource, cancellationToken))
            {
                var found = await PostgresSchema.MigrateAsync(connection, cancellationToken);
                if (found != PostgresSchema.CurrentVersion)
                {
                    Log.SchemaMigrated(_logger, found, PostgresSchema.CurrentVersion);
                }
                await OpenGeoLayerAsync(connection, builder.Database ?? "", cancellationToken);
                await using var tenants = new NpgsqlCommand("SELECT name FROM tenants", connection);
                await using var reader = await tenants.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    _tenants.TryAdd(reader.GetString(0), 0);
                }
            }
            _tenants.TryAdd(Tenants.Default, 0);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
        _dataSource = dataSource;
        _listener = new ResourceListener(dataSource, _resources, _origin, _time, _logger);
        _listener.Start();
        var maintainGeo = GeoLayer is GeoLayerState.Present or GeoLayerState.Created;
        var writer = new PostgresWriter(dataSource, _tenants, _changes, _time, _logger, _options.MaxWriteBatch, _options.ReconnectDelay, _origin, maintainGeo,
            _options.GeoLayerCheckInterval, GeoLayerAppeared);
        _writer = writer;
        writer.Start();
        Log.StoreOpened(_logger, builder.Host ?? "", builder.Database ?? "", PostgresSchema.CurrentVersion);
    }

    /// <summary>Enables PostGIS and its layer when allowed and possible; sets <see cref="GeoLayer"/> and whether queries use it.</summary>
    private async Task OpenGeoLayerAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        if (!_options.UsePostGis)
        {
            // Another broker on this database may use the layer: keep it current, but do not query it.
            var exists = await PostgresGeoLayer.ExistsAsync(connection, cancellationToken);
            GeoLayer = exists ? GeoLayerState.Present : GeoLayerState.Disabled;
            Log.PostGisDisabled(_logger, exists);
            return;
        }
        var (state, reason, rows) = await PostgresGeoLayer.EnsureAsync(connection, cancellationToken);
        GeoLayer = state;
        switch (state)
        {
            case GeoLayerState.Unavailable:
                Log.PostGisUnavailable(_logger, database, reason ?? "");
                return;
            case GeoLayerState.Created:
                Log.GeoLayerCreated(_logger, database, rows);
                break;
        }
        _geoQueries = true;
        Log.GeoQueriesInDatabase(_logger);
    }

    /// <summary>The writer found (and now keeps) a geo layer another broker created after this one started.</summary>
    private void GeoLayerAppeared()
    {
        GeoLayer = GeoLayerState.Present;
        if (_options.UsePostGis)
        {
            Volatile.Write(ref _geoQueries, true);
        }
        Log.GeoLayerAppeared(_logger, _options.UsePostGis);
    }

    private static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw PostgresErrors.Unavailable(e);
        }
    }

    public async ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ThrowIfNotReady();
        if (_tenants.ContainsKey(tenant))
        {
            return true;
        }
        // Another broker process may have created it; tenants are never removed, so a hit is cached.
        var exists = await ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT 1 FROM tenants WHERE name = $1", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            return await command.ExecuteScalarAsync(ct) is not null;
        }, cancellationToken);
        if (exists)
        {
            _tenants.TryAdd(tenant, 0);
        }
        return exists;
    }

    public async ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(id);
        ThrowIfNotReady();
        return await ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT body FROM entities WHERE tenant = $1 AND id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            return await command.ExecuteScalarAsync(ct) is byte[] body ? StoredEntityCodec.Decode(body) : null;
        }, cancellationToken);
    }

    public async Task<T> WriteAsync<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        if (!createTenant && !await TenantExistsAsync(tenant, cancellationToken))
        {
            throw new UnknownTenantException(tenant);
        }
        return await _writer!.Enqueue(tenant, createTenant, work, cancellationToken);
    }

    public async Task<QueryPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ThrowIfNotReady();
        if ((query.Limit == 0 && !query.Count) || query.Ids is { Count: 0 })
        {
            return new QueryPage([], query.Ids is { Count: 0 } && query.Count ? 0 : null);
        }
        var geo = Volatile.Read(ref _geoQueries);
        var sql = PostgresQuery.Build(tenant, query, geo);
        if (sql.Empty)
        {
            return new QueryPage([], query.Count ? 0 : null);
        }
        try
        {
            return await QueryAsync(sql, query, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == "2201B")
        {
            // A pattern .NET accepts but PostgreSQL does not (a limit, a dialect corner): the broker decides alone.
            Log.RegexLeftToBroker(_logger, e.MessageText);
            return await QueryAsync(PostgresQuery.Build(tenant, query, geo, regexInSql: false), query, cancellationToken);
        }
    }

    private Task<QueryPage> QueryAsync(PostgresQuery sql, EntityQuery query, CancellationToken cancellationToken) =>
        ReadAsync((connection, ct) => sql.Residual.IsEmpty
            ? QueryInDatabaseAsync(connection, sql, query, ct)
            : QueryFilteredAsync(connection, sql, query, ct), cancellationToken);

    /// <summary>Everything is decided by the database: LIMIT/OFFSET and COUNT(*), from one snapshot.</summary>
    private static async Task<QueryPage> QueryInDatabaseAsync(NpgsqlConnection connection, PostgresQuery sql, EntityQuery query, CancellationToken cancellationToken)
    {
        long? count = null;
        var entities = new List<Entity>(Math.Min(query.Limit, 1024));
        await using var transaction = query.Count
            ? await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken)
            : null;
        if (query.Count)
        {
            await using var countCommand = new NpgsqlCommand($"SELECT count(*) FROM entities WHERE {sql.Where}", connection, transaction);
            sql.AddParameters(countCommand);
            count = (long)(await countCommand.ExecuteScalarAsync(cancellationToken))!;
        }
        if (query.Limit > 0 && (count is null || count > query.Offset))
        {
            await using var select = new NpgsqlCommand(
                $"SELECT {sql.Body} FROM entities WHERE {sql.Where} ORDER BY id LIMIT {query.Limit} OFFSET {query.Offset}", connection, transaction);
            sql.AddParameters(select);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entities.Add(StoredEntityCodec.Decode((byte[])reader.GetValue(0)));
            }
        }
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return new QueryPage(entities, count);
    }

    /// <summary>
    /// Reads the database's candidates in id order, in keyset chunks (no result is drained past what the page
    /// needs), and applies the rest of the query in process.
    /// </summary>
    private static async Task<QueryPage> QueryFilteredAsync(NpgsqlConnection connection, PostgresQuery sql, EntityQuery query, CancellationToken cancellationToken)
    {
        var filter = sql.Residual;
        var entities = new List<Entity>(Math.Min(query.Limit, 1024));
        long matched = 0;
        var pageEnd = (long)query.Offset + query.Limit;
        var after = (string?)null;
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var select = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            sql.AddParameters(select);
            var keyset = "";
            if (after is not null)
            {
                select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after });
                keyset = $" AND id > ${select.Parameters.Count}";
            }
            select.CommandText = $"SELECT id, {sql.Body} FROM entities WHERE {sql.Where}{keyset} ORDER BY id LIMIT {ChunkSize}";
            var rows = 0;
            var done = false;
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows++;
                    after = reader.GetString(0);
                    if (done || !filter.MatchesId(after))
                    {
                        continue;
                    }
                    var inPage = matched >= query.Offset && matched < pageEnd;
                    if (filter.NeedsEntity || inPage)
                    {
                        var entity = StoredEntityCodec.Decode((byte[])reader.GetValue(1));
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
                    done = matched >= pageEnd && !query.Count;
                }
            }
            if (done || rows < ChunkSize)
            {
                break;
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return new QueryPage(entities, query.Count ? matched : null);
    }

    public async IAsyncEnumerable<Entity> ScanAsync(string tenant, IReadOnlyList<string>? types,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ThrowIfNotReady();
        var distinct = types?.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct is { Length: 0 })
        {
            yield break;
        }
        var after = "";
        while (true)
        {
            var page = await ReadAsync(async (connection, ct) =>
            {
                var sqlText = distinct is null
                    ? $"SELECT body FROM entities WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT {ChunkSize}"
                    : $"SELECT body FROM entities WHERE tenant = $1 AND id > $2 AND types && $3 ORDER BY id LIMIT {ChunkSize}";
                await using var command = new NpgsqlCommand(sqlText, connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after });
                if (distinct is not null)
                {
                    command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = distinct });
                }
                var list = new List<Entity>(ChunkSize);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    list.Add(StoredEntityCodec.Decode((byte[])reader.GetValue(0)));
                }
                return list;
            }, cancellationToken);
            foreach (var entity in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return entity;
            }
            if (page.Count < ChunkSize)
            {
                yield break;
            }
            after = page[^1].Id;
        }
    }

    public async Task<IReadOnlyList<StoredResource>> ListResourcesAsync(string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ThrowIfNotReady();
        return await ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT tenant, id, body FROM resources WHERE kind = $1 ORDER BY tenant, id", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
            var list = new List<StoredResource>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(new StoredResource(kind, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
            return (IReadOnlyList<StoredResource>)list;
        }, cancellationToken);
    }

    /// <summary>Runs a read on a pooled connection; a database that is away becomes <see cref="StoreUnavailableException"/>.</summary>
    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var dataSource = _dataSource!;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await read(connection, cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            // A broken pooled connection must not be handed out again.
            dataSource.Clear();
            throw PostgresErrors.Unavailable(e);
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

    /// <summary>Stops accepting writes, lets the writer commit what is queued, stops listening, closes the pool.</summary>
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
        }
        if (_listener is { } listener)
        {
            await listener.DisposeAsync();
        }
        if (_dataSource is { } dataSource)
        {
            await dataSource.DisposeAsync();
        }
    }
}
