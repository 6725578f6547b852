using Aeros.Broker.Postgres.Schema;
using Aeros.Testing;
using Npgsql;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>Migrations: versioned, safe to run twice, safe with several brokers starting at once.</summary>
public sealed class PostgresSchemaTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MigrateAsync_SeveralAtOnceThenAgain_ReachesCurrentVersionOnce()
    {
        var connectionString = TestStore.Cluster.EnsureDatabase("migrate_" + Guid.NewGuid().ToString("N")[..12]);

        var found = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            return await PostgresSchema.MigrateAsync(connection, CancellationToken.None);
        })).WaitAsync(Deadline);

        // One of them migrated from nothing; the others waited for the lock and found the schema current.
        Assert.Equal(1, found.Count(v => v == 0));
        Assert.Equal(3, found.Count(v => v == PostgresSchema.CurrentVersion));
        await using var again = new NpgsqlConnection(connectionString);
        await again.OpenAsync();
        Assert.Equal(PostgresSchema.CurrentVersion, await PostgresSchema.MigrateAsync(again, CancellationToken.None).WaitAsync(Deadline));
        await using var versions = new NpgsqlCommand("SELECT count(*), max(version) FROM aeros_schema", again);
        await using var reader = await versions.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.Equal(PostgresSchema.CurrentVersion, reader.GetInt32(1));
    }

    [Fact]
    public async Task MigrateAsync_DatabaseNewerThanBroker_Refuses()
    {
        var connectionString = TestStore.Cluster.EnsureDatabase("newer_" + Guid.NewGuid().ToString("N")[..12]);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE TABLE aeros_schema (version integer NOT NULL); INSERT INTO aeros_schema VALUES ({PostgresSchema.CurrentVersion + 1})", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.MigrateAsync(connection, CancellationToken.None)).WaitAsync(Deadline);

        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }
}
