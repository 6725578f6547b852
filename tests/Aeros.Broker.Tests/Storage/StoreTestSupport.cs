using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Tests.Storage;

/// <summary>A store on a fresh temporary directory, deleted when the test ends.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private TempStore(string directory, string dataDirectory, bool durable, bool ownsDirectory)
    {
        Directory = directory;
        DataDirectory = dataDirectory;
        Durable = durable;
        _ownsDirectory = ownsDirectory;
    }

    private readonly bool _ownsDirectory;

    /// <summary>The test's temporary directory (deleted at the end).</summary>
    public string Directory { get; }

    /// <summary>The store's data directory.</summary>
    public string DataDirectory { get; }

    public bool Durable { get; }

#if AEROS_POSTGRES
    /// <summary>The store under test: PostgreSQL, on the database that belongs to <see cref="DataDirectory"/>.</summary>
    public Aeros.Broker.Postgres.Storage.PostgresEntityStore Store { get; private set; } = null!;
#else
    public SqliteEntityStore Store { get; private set; } = null!;
#endif

    /// <summary>The change feed the store publishes to (kept across reopening).</summary>
    public EntityChangeFeed Changes { get; } = new();

    public static async Task<TempStore> CreateAsync(bool durable = true)
    {
        var directory = Path.Combine(Path.GetTempPath(), "aeros-store-tests", Guid.NewGuid().ToString("N"));
        var temp = new TempStore(directory, Path.Combine(directory, "data"), durable, ownsDirectory: true);
        await temp.OpenAsync();
        return temp;
    }

    /// <summary>A store on an existing data directory, which the caller cleans up.</summary>
    public static async Task<TempStore> OpenExistingAsync(string dataDirectory)
    {
        var temp = new TempStore(dataDirectory, dataDirectory, durable: true, ownsDirectory: false);
        await temp.OpenAsync();
        return temp;
    }

    /// <summary>Attributes the value index covers (default: all, so the index code is exercised).</summary>
    public IList<string> IndexedAttributes { get; set; } = ["*"];

    /// <summary>Closes the store and opens a new one on the same directory.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        await OpenAsync();
    }

    private async Task OpenAsync()
    {
        var options = Options.Create(new BrokerOptions { DataDirectory = DataDirectory, DurableWrites = Durable, IndexedAttributes = IndexedAttributes });
#if AEROS_POSTGRES
        Aeros.Testing.TestStore.Apply(options.Value);
        Store = new Aeros.Broker.Postgres.Storage.PostgresEntityStore(options, Options.Create(new Aeros.Broker.Postgres.PostgresStoreOptions()),
            TimeProvider.System, NullLogger<Aeros.Broker.Postgres.Storage.PostgresEntityStore>.Instance, Changes, new ResourceChangeFeed());
#else
        Store = new SqliteEntityStore(options, TimeProvider.System, NullLogger<SqliteEntityStore>.Instance, Changes);
#endif
        await Store.InitializeAsync(CancellationToken.None).WaitAsync(Deadline);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().AsTask().WaitAsync(Deadline);
        if (!_ownsDirectory)
        {
            return;
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail the test.
        }
    }
}

/// <summary>Entities for tests.</summary>
internal static class TestEntities
{
    public const string Vehicle = "https://example.org/Vehicle";
    public const string Building = "https://example.org/Building";
    public const string Speed = "https://example.org/speed";
    public const string Name = "https://example.org/name";

    public static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static Entity Make(string id, string type = Vehicle, params (string Name, JsonNode? Value)[] properties)
    {
        var entity = new Entity { Id = id, Types = [type], CreatedAt = Time, ModifiedAt = Time };
        foreach (var (name, value) in properties)
        {
            entity.Attributes[name] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = value, CreatedAt = Time, ModifiedAt = Time }];
        }
        return entity;
    }

    public static string Urn(int i) => $"urn:ngsi-ld:Vehicle:{i:D5}";
}
