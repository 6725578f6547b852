using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Testing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// A PostgresEntityStore on a fresh database of the run's cluster, with SQL access to the same database for
/// assertions (row counts, EXPLAIN). Disposing closes the store.
/// </summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private PostgresTestDatabase(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public PostgresEntityStore Store { get; private set; } = null!;

    public RecordingLogger<PostgresEntityStore> Logger { get; private set; } = new();

    /// <summary>A new database (created from <c>template1</c>, which has PostGIS when it is installed) and a store on it.</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(string prefix, bool usePostGis = true, TimeProvider? time = null)
    {
        var database = new PostgresTestDatabase(TestStore.Cluster.EnsureDatabase(prefix + "_" + Guid.NewGuid().ToString("N")[..12]));
        database._time = time ?? TimeProvider.System;
        await database.OpenAsync(usePostGis);
        return database;
    }

    private TimeProvider _time = TimeProvider.System;

    /// <summary>A second store on the same database (another broker process); the caller disposes it.</summary>
    public async Task<PostgresEntityStore> OpenOtherStoreAsync(bool usePostGis)
    {
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = ConnectionString });
        var store = new PostgresEntityStore(broker, Options.Create(new PostgresStoreOptions { UsePostGis = usePostGis }), TimeProvider.System,
            new RecordingLogger<PostgresEntityStore>(), new EntityChangeFeed(), new ResourceChangeFeed());
        try
        {
            await store.InitializeAsync(CancellationToken.None).WaitAsync(Deadline);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        return store;
    }

    /// <summary>The ids SQL alone selects for <paramref name="query"/> (its WHERE clause, before the in-process check).</summary>
    public async Task<string[]> CandidatesAsync(EntityQuery query, bool geo = false)
    {
        var sql = PostgresQuery.Build(Tenants.Default, query, geo);
        if (sql.Empty)
        {
            return [];
        }
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync().WaitAsync(Deadline);
        await using var select = new NpgsqlCommand($"SELECT id FROM entities WHERE {sql.Where} ORDER BY id", connection);
        sql.AddParameters(select);
        var ids = new List<string>();
        await using var reader = await select.ExecuteReaderAsync().WaitAsync(Deadline);
        while (await reader.ReadAsync().WaitAsync(Deadline))
        {
            ids.Add(reader.GetString(0));
        }
        return [.. ids];
    }

    /// <summary>Closes the store and opens a new one on the same database.</summary>
    public async Task ReopenAsync(bool usePostGis = true)
    {
        await Store.DisposeAsync().AsTask().WaitAsync(Deadline);
        await OpenAsync(usePostGis);
    }

    private async Task OpenAsync(bool usePostGis)
    {
        Logger = new RecordingLogger<PostgresEntityStore>();
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = ConnectionString });
        Store = new PostgresEntityStore(broker, Options.Create(new PostgresStoreOptions { UsePostGis = usePostGis }), _time,
            Logger, new EntityChangeFeed(), new ResourceChangeFeed());
        await Store.InitializeAsync(CancellationToken.None).WaitAsync(Deadline);
    }

    /// <summary>Runs one write work item in the default tenant.</summary>
    public Task WriteAsync(Action<IEntityWriteSession> work) =>
        Store.WriteAsync(Tenants.Default, false, s =>
        {
            work(s);
            return 0;
        }, CancellationToken.None).WaitAsync(Deadline);

    /// <summary>The ids a query returns (one page of up to 1000).</summary>
    public async Task<string[]> IdsAsync(EntityQuery query)
    {
        var page = await Store.QueryAsync(Tenants.Default, query, CancellationToken.None).WaitAsync(Deadline);
        return [.. page.Entities.Select(e => e.Id)];
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync().WaitAsync(Deadline);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync().WaitAsync(Deadline);
    }

    public Task ExecuteAsync(string sql) => ScalarAsync(sql);

    /// <summary>
    /// The plan of the statement the store sends for <paramref name="query"/> when part of it is left to the process
    /// (<c>SELECT id, body ... ORDER BY id LIMIT 500</c>), after ANALYZE.
    /// </summary>
    public async Task<string> ExplainAsync(EntityQuery query, bool geo)
    {
        var sql = PostgresQuery.Build(Tenants.Default, query, geo);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync().WaitAsync(Deadline);
        await using (var analyze = new NpgsqlCommand("ANALYZE", connection))
        {
            await analyze.ExecuteNonQueryAsync().WaitAsync(Deadline);
        }
        await using var explain = new NpgsqlCommand(
            $"EXPLAIN (COSTS OFF) SELECT id, body FROM entities WHERE {sql.Where} ORDER BY id LIMIT {PostgresEntityStore.ChunkSize}", connection);
        sql.AddParameters(explain);
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync().WaitAsync(Deadline);
        while (await reader.ReadAsync().WaitAsync(Deadline))
        {
            lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    public async ValueTask DisposeAsync() => await Store.DisposeAsync().AsTask().WaitAsync(Deadline);
}
