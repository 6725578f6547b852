using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Tests.Storage;

public sealed class SqliteEntityStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TempStore.Deadline;
    private TempStore _temp = null!;

    private IEntityStore Store => _temp.Store;

    public async Task InitializeAsync() => _temp = await TempStore.CreateAsync();

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private Task<T> Write<T>(Func<IEntityWriteSession, T> work, string tenant = Tenants.Default, bool createTenant = false) =>
        Store.WriteAsync(tenant, createTenant, work, CancellationToken.None).WaitAsync(Deadline);

    private async Task<Entity?> Get(string id, string tenant = Tenants.Default) =>
        await Store.GetAsync(tenant, id, CancellationToken.None).AsTask().WaitAsync(Deadline);

#if AEROS_POSTGRES
    [Fact(Skip = "SQLite only: the PostgreSQL store keeps no database file.")]
#else
    [Fact]
#endif
    public void InitializeAsync_CreatesDatabaseInWalMode()
    {
        var path = Path.Combine(_temp.Directory, "data", "entities.db");
        Assert.True(File.Exists(path));
        Assert.True(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task Insert_ThenGet_ReturnsEqualFreshCopies()
    {
        var entity = TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 80));

        Assert.True(await Write(s => s.Insert(entity)));
        var first = await Get("urn:a");
        var second = await Get("urn:a");

        Assert.NotNull(first);
        StoredEntityCodecTests.AssertSame(entity, first);
        Assert.NotSame(first, second);
        first.Types.Add("changed");
        Assert.Single((await Get("urn:a"))!.Types);
    }

    [Fact]
    public async Task Get_Missing_ReturnsNull()
    {
        Assert.Null(await Get("urn:none"));
    }

    [Fact]
    public async Task Insert_DuplicateId_ReturnsFalseAndKeepsOriginal()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 1))));

        var inserted = await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Building, (TestEntities.Speed, 2))));

        Assert.False(inserted);
        var stored = await Get("urn:a");
        Assert.Equal([TestEntities.Vehicle], stored!.Types);
        Assert.Equal(1, stored.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
    }

    [Fact]
    public async Task Update_ReplacesEntityAndTypeIndex()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Vehicle)));

        await Write(s =>
        {
            var entity = s.Get("urn:a")!;
            entity.Types = [TestEntities.Building];
            entity.Attributes[TestEntities.Name] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "x" }];
            s.Update(entity);
            return 0;
        });

        var stored = await Get("urn:a");
        Assert.Equal([TestEntities.Building], stored!.Types);
        Assert.Equal("x", stored.Attributes[TestEntities.Name][0].Value!.GetValue<string>());
        Assert.Empty(await ScanIds([TestEntities.Vehicle]));
        Assert.Equal(["urn:a"], await ScanIds([TestEntities.Building]));
    }

    [Fact]
    public async Task Update_Missing_FaultsOnlyThatWork()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Write(s =>
        {
            s.Update(TestEntities.Make("urn:none"));
            return 0;
        }));
        Assert.Contains("urn:none", error.Message);
    }

    [Fact]
    public async Task Delete_RemovesEntityAndReportsWhetherItExisted()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:a")));

        Assert.True(await Write(s => s.Delete("urn:a")));
        Assert.False(await Write(s => s.Delete("urn:a")));
        Assert.Null(await Get("urn:a"));
        Assert.Empty(await ScanIds([TestEntities.Vehicle]));
    }

    [Fact]
    public async Task Session_SeesItsOwnUncommittedWrites()
    {
        var seen = await Write(s =>
        {
            s.Insert(TestEntities.Make("urn:a"));
            var afterInsert = s.Get("urn:a") is not null;
            s.Delete("urn:a");
            var afterDelete = s.Get("urn:a") is null;
            s.Insert(TestEntities.Make("urn:a", TestEntities.Building));
            return afterInsert && afterDelete;
        });

        Assert.True(seen);
        Assert.Equal([TestEntities.Building], (await Get("urn:a"))!.Types);
    }

    [Fact]
    public async Task Work_ThatThrowsAfterWriting_LeavesNothing()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:keep", TestEntities.Vehicle, (TestEntities.Speed, 1))));

        var error = await Assert.ThrowsAsync<ApplicationException>(() => Write<int>(s =>
        {
            s.Insert(TestEntities.Make("urn:new"));
            var keep = s.Get("urn:keep")!;
            keep.Attributes.Clear();
            s.Update(keep);
            s.Delete("urn:keep");
            throw new ApplicationException("boom");
        }));

        Assert.Equal("boom", error.Message);
        Assert.Null(await Get("urn:new"));
        var kept = await Get("urn:keep");
        Assert.NotNull(kept);
        Assert.True(kept.Attributes.ContainsKey(TestEntities.Speed));
        Assert.Equal(["urn:keep"], await ScanIds([TestEntities.Vehicle]));
    }

    [Fact]
    public async Task Group_OneWorkThrows_OthersInTheSameTransactionCommit()
    {
        // Hold the writer inside a first work item so the next ones queue up and run as one group.
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var (commitsBefore, itemsBefore) = _temp.Store.WriteGroups;
        var blocker = Store.WriteAsync(Tenants.Default, false, s =>
        {
            entered.Set();
            release.Wait(Deadline);
            return s.Insert(TestEntities.Make("urn:first"));
        }, CancellationToken.None);
        Assert.True(entered.Wait(Deadline), "the writer did not start the first work item");

        var failing = Store.WriteAsync<bool>(Tenants.Default, false, s =>
        {
            s.Insert(TestEntities.Make("urn:failing"));
            throw new InvalidOperationException("only mine");
        }, CancellationToken.None);
        var succeeding = Store.WriteAsync(Tenants.Default, false, s =>
        {
            var sawFailing = s.Get("urn:failing") is not null;
            return (sawFailing, inserted: s.Insert(TestEntities.Make("urn:succeeding")));
        }, CancellationToken.None);
        release.Set();

        Assert.True(await blocker.WaitAsync(Deadline));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Deadline));
        Assert.Equal("only mine", error.Message);
        var (sawFailing, inserted) = await succeeding.WaitAsync(Deadline);
        Assert.False(sawFailing);
        Assert.True(inserted);
        Assert.Null(await Get("urn:failing"));
        Assert.NotNull(await Get("urn:succeeding"));
        Assert.NotNull(await Get("urn:first"));
        var (commitsAfter, itemsAfter) = _temp.Store.WriteGroups;
        Assert.Equal((2, 3), (commitsAfter - commitsBefore, itemsAfter - itemsBefore)); // the blocker's, then one for both
    }

    [Fact]
    public async Task Write_CanceledBeforeItRuns_IsNotApplied()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var task = Store.WriteAsync(Tenants.Default, false, s => s.Insert(TestEntities.Make("urn:a")), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Deadline));
        Assert.Null(await Get("urn:a"));
    }

    [Fact]
    public async Task Tenants_DefaultAlwaysExists_UnknownIsRejectedWithoutCreate()
    {
        Assert.True(await Store.TenantExistsAsync(Tenants.Default, CancellationToken.None));
        Assert.False(await Store.TenantExistsAsync("t1", CancellationToken.None));
        var ran = false;

        var error = await Assert.ThrowsAsync<UnknownTenantException>(() => Write(s => ran = true, tenant: "t1"));

        Assert.Equal("t1", error.Tenant);
        Assert.False(ran);
        Assert.False(await Store.TenantExistsAsync("t1", CancellationToken.None));
    }

    [Fact]
    public async Task Tenants_CreateTenant_CreatesAndIsolates()
    {
        Assert.True(await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 1))), "t1", createTenant: true));
        Assert.True(await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 2))), "t2", createTenant: true));

        Assert.True(await Store.TenantExistsAsync("t1", CancellationToken.None));
        Assert.Null(await Get("urn:a"));
        Assert.Equal(1, (await Get("urn:a", "t1"))!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.Equal(2, (await Get("urn:a", "t2"))!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.True(await Write(s => s.Delete("urn:a"), "t1"));
        Assert.NotNull(await Get("urn:a", "t2"));
        var page = await Store.QueryAsync("t2", new EntityQuery { Count = true }, CancellationToken.None);
        Assert.Equal(1, page.TotalCount);
    }

    [Fact]
    public async Task Tenants_CreationRolledBackWhenWorkFails()
    {
        await Assert.ThrowsAsync<ApplicationException>(() => Write<int>(_ => throw new ApplicationException(), "t3", createTenant: true));

        Assert.False(await Store.TenantExistsAsync("t3", CancellationToken.None));
    }

    [Fact]
    public async Task Reopen_KeepsEntitiesAndTenants()
    {
        var entity = TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 80));
        entity.Scopes = ["/a/b"];
        await Write(s => s.Insert(entity));
        await Write(s => s.Insert(TestEntities.Make("urn:b")), "t1", createTenant: true);

        await _temp.ReopenAsync();

        StoredEntityCodecTests.AssertSame(entity, (await Get("urn:a"))!);
        Assert.True(await Store.TenantExistsAsync("t1", CancellationToken.None));
        Assert.NotNull(await Get("urn:b", "t1"));
        Assert.Equal(["urn:a"], await ScanIds([TestEntities.Vehicle]));
    }

    [Fact]
    public async Task Dispose_CommitsWorkAlreadyQueued()
    {
        var writes = Enumerable.Range(0, 200)
            .Select(i => Store.WriteAsync(Tenants.Default, false, s => s.Insert(TestEntities.Make(TestEntities.Urn(i))), CancellationToken.None))
            .ToList();

        await _temp.ReopenAsync();

        Assert.All(await Task.WhenAll(writes).WaitAsync(Deadline), Assert.True);
        var page = await Store.QueryAsync(Tenants.Default, new EntityQuery { Limit = 0, Count = true }, CancellationToken.None);
        Assert.Equal(200, page.TotalCount);
    }

    [Fact]
    public async Task Write_AfterDispose_Throws()
    {
        await Store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.WriteAsync(Tenants.Default, false, s => 0, CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentSingleInserts_AllPresentAfterwards()
    {
        const int Count = 1000;
        var tasks = Enumerable.Range(0, Count)
            .Select(i => Task.Run(() => Store.WriteAsync(Tenants.Default, false,
                s => s.Insert(TestEntities.Make(TestEntities.Urn(i), TestEntities.Vehicle, (TestEntities.Speed, i))),
                CancellationToken.None)))
            .ToArray();

        var results = await Task.WhenAll(tasks).WaitAsync(Deadline);

        Assert.All(results, Assert.True);
        for (var i = 0; i < Count; i++)
        {
            var entity = await Get(TestEntities.Urn(i));
            Assert.Equal(i, entity!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        }
        var page = await Store.QueryAsync(Tenants.Default, new EntityQuery { Limit = 0, Count = true }, CancellationToken.None);
        Assert.Equal(Count, page.TotalCount);
    }

    [Fact]
    public async Task ConcurrentReadModifyWrite_NoLostUpdates()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:counter", TestEntities.Vehicle, (TestEntities.Speed, 0))));

        await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(() => Store.WriteAsync(Tenants.Default, false, s =>
        {
            var entity = s.Get("urn:counter")!;
            var attribute = entity.Attributes[TestEntities.Speed][0];
            attribute.Value = JsonValue.Create(attribute.Value!.GetValue<int>() + 1);
            s.Update(entity);
            return 0;
        }, CancellationToken.None)))).WaitAsync(Deadline);

        Assert.Equal(300, (await Get("urn:counter"))!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
    }

    private async Task<List<string>> ScanIds(IReadOnlyList<string>? types, string tenant = Tenants.Default)
    {
        var ids = new List<string>();
        await foreach (var entity in Store.ScanAsync(tenant, types, CancellationToken.None))
        {
            ids.Add(entity.Id);
        }
        return ids;
    }
}
