using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aeros.Broker.Tests.Storage;

/// <summary>
/// The SQL the store uses for type selection, checked below the query model (TypeExpression is still a stub):
/// entities having any of the given types, each once, in id order, with the type index kept in step by writes.
/// </summary>
public sealed class SqliteTypeSelectionTests : IAsyncLifetime
{
    private const string Other = "https://example.org/Other";
    private TempStore _temp = null!;

    public async Task InitializeAsync()
    {
        _temp = await TempStore.CreateAsync();
        await _temp.Store.WriteAsync(Tenants.Default, false, s =>
        {
            s.Insert(TestEntities.Make("urn:c", TestEntities.Vehicle));
            s.Insert(TestEntities.Make("urn:a", TestEntities.Building));
            var both = TestEntities.Make("urn:b", TestEntities.Vehicle);
            both.Types.Add(TestEntities.Building);
            s.Insert(both);
            s.Insert(TestEntities.Make("urn:d", Other));
            return 0;
        }, CancellationToken.None).WaitAsync(TempStore.Deadline);
        await _temp.Store.WriteAsync("t1", true, s => s.Insert(TestEntities.Make("urn:t1", TestEntities.Vehicle)), CancellationToken.None)
            .WaitAsync(TempStore.Deadline);
    }

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private List<string> Select(SqliteReadConnection.Shape shape, string? idsJson, string typesJson, int limit = 0, int offset = 0)
    {
        using var connection = new SqliteReadConnection(
            SqliteConnectionSetup.ConnectionString(Path.Combine(_temp.DataDirectory, SqliteEntityStore.FileName), readOnly: true));
        using var reader = connection.Select(shape | SqliteReadConnection.Shape.Types, Tenants.Default, idsJson, typesJson, limit, offset).ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetValue(0).ToString()!);
        }
        return ids;
    }

    [Fact]
    public void Types_AnyOf_EachOnceInIdOrder()
    {
        Assert.Equal(["urn:a", "urn:b", "urn:c"], Select(default, null, $"""["{TestEntities.Vehicle}","{TestEntities.Building}"]"""));
        Assert.Equal(["urn:b", "urn:c"], Select(default, null, $"""["{TestEntities.Vehicle}"]"""));
        Assert.Empty(Select(default, null, """["https://example.org/None"]"""));
    }

    [Fact]
    public void Types_WithIdsPagingAndCount()
    {
        var types = $"""["{TestEntities.Vehicle}","{TestEntities.Building}"]""";

        Assert.Equal(["urn:b"], Select(SqliteReadConnection.Shape.Paged, null, types, limit: 1, offset: 1));
        Assert.Equal(["urn:a", "urn:c"], Select(SqliteReadConnection.Shape.Ids, """["urn:c","urn:a","urn:d"]""", types));
        Assert.Equal(["3"], Select(SqliteReadConnection.Shape.CountOnly, null, types));
    }

    [Fact]
    public async Task Types_IndexFollowsUpdatesAndDeletes()
    {
        await _temp.Store.WriteAsync(Tenants.Default, false, s =>
        {
            var c = s.Get("urn:c")!;
            c.Types = [Other];
            s.Update(c);
            s.Delete("urn:b");
            return 0;
        }, CancellationToken.None).WaitAsync(TempStore.Deadline);

        Assert.Empty(Select(default, null, $"""["{TestEntities.Vehicle}"]"""));
        Assert.Equal(["urn:c", "urn:d"], Select(default, null, $"""["{Other}"]"""));
    }

    [Fact]
    public async Task AddAerosEntityStore_HostedServiceInitializesStore()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.Configure<BrokerOptions>(o => o.DataDirectory = Path.Combine(_temp.Directory, "di"));
        services.AddAerosEntityStore();
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None).WaitAsync(TempStore.Deadline);
        }
        var store = provider.GetRequiredService<IEntityStore>();

        Assert.True(await store.WriteAsync(Tenants.Default, false, s => s.Insert(TestEntities.Make("urn:di")), CancellationToken.None).WaitAsync(TempStore.Deadline));
        Assert.NotNull(await store.GetAsync(Tenants.Default, "urn:di", CancellationToken.None));
    }
}
