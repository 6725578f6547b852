using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Tests.Storage;

public sealed class SqliteEntityStoreQueryTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TempStore.Deadline;
    private TempStore _temp = null!;

    private IEntityStore Store => _temp.Store;

    public async Task InitializeAsync()
    {
        _temp = await TempStore.CreateAsync();
        // 50 vehicles (even ones have speed) and 10 buildings (with a name), inserted out of order.
        await _temp.Store.WriteAsync(Tenants.Default, false, s =>
        {
            for (var i = 49; i >= 0; i--)
            {
                var entity = i % 2 == 0
                    ? TestEntities.Make(TestEntities.Urn(i), TestEntities.Vehicle, (TestEntities.Speed, i))
                    : TestEntities.Make(TestEntities.Urn(i), TestEntities.Vehicle);
                s.Insert(entity);
            }
            for (var i = 0; i < 10; i++)
            {
                s.Insert(TestEntities.Make($"urn:ngsi-ld:Building:{i}", TestEntities.Building, (TestEntities.Name, $"b{i}")));
            }
            return 0;
        }, CancellationToken.None).WaitAsync(Deadline);
    }

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private Task<QueryPage> Query(EntityQuery query, string tenant = Tenants.Default) =>
        Store.QueryAsync(tenant, query, CancellationToken.None).WaitAsync(Deadline);

    private static List<string> Ids(QueryPage page) => page.Entities.Select(e => e.Id).ToList();

    [Fact]
    public async Task Query_All_PagesInIdOrderWithCount()
    {
        var first = await Query(new EntityQuery { Limit = 20, Count = true });
        var third = await Query(new EntityQuery { Limit = 20, Offset = 40, Count = true });

        Assert.Equal(60, first.TotalCount);
        Assert.Equal(60, third.TotalCount);
        var all = Ids(first).Concat(Ids(third)).ToList();
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal("urn:ngsi-ld:Building:0", Ids(first)[0]);
        Assert.Equal(TestEntities.Urn(49), Ids(third)[^1]);
    }

    [Fact]
    public async Task Query_WithoutCount_HasNullCount()
    {
        var page = await Query(new EntityQuery { Limit = 5 });

        Assert.Null(page.TotalCount);
        Assert.Equal(5, page.Entities.Count);
    }

    [Fact]
    public async Task Query_LimitZeroWithCount_ReturnsOnlyCount()
    {
        var page = await Query(new EntityQuery { Limit = 0, Count = true, IdPattern = "urn:ngsi-ld:Building:.*" });

        Assert.Empty(page.Entities);
        Assert.Equal(10, page.TotalCount);
    }

    [Fact]
    public async Task Query_OffsetBeyondEnd_ReturnsEmptyPageWithCount()
    {
        var page = await Query(new EntityQuery { Offset = 100, Count = true });

        Assert.Empty(page.Entities);
        Assert.Equal(60, page.TotalCount);
    }

    [Fact]
    public async Task Query_Ids_SelectsThoseInIdOrder()
    {
        var page = await Query(new EntityQuery
        {
            Ids = [TestEntities.Urn(7), "urn:missing", TestEntities.Urn(3), TestEntities.Urn(7)],
            Count = true,
        });

        Assert.Equal([TestEntities.Urn(3), TestEntities.Urn(7)], Ids(page));
        Assert.Equal(2, page.TotalCount);
    }

    [Fact]
    public async Task Query_EmptyIds_MatchesNothing()
    {
        var page = await Query(new EntityQuery { Ids = [], Count = true });

        Assert.Empty(page.Entities);
        Assert.Equal(0, page.TotalCount);
    }

    [Fact]
    public async Task Query_IdPattern_MatchesWholeIdAndPages()
    {
        var first = await Query(new EntityQuery { IdPattern = "urn:ngsi-ld:Vehicle:0000[0-9]", Limit = 4, Count = true });
        var second = await Query(new EntityQuery { IdPattern = "urn:ngsi-ld:Vehicle:0000[0-9]", Limit = 4, Offset = 8, Count = true });
        var partial = await Query(new EntityQuery { IdPattern = "Vehicle", Count = true });

        Assert.Equal(Enumerable.Range(0, 4).Select(TestEntities.Urn), Ids(first));
        Assert.Equal([TestEntities.Urn(8), TestEntities.Urn(9)], Ids(second));
        Assert.Equal(10, first.TotalCount);
        Assert.Equal(0, partial.TotalCount);
    }

    [Fact]
    public async Task Query_IdPatternNeedingBacktracking_StillWorks()
    {
        var page = await Query(new EntityQuery { IdPattern = @"urn:ngsi-ld:(\w+):0000(\d)(?<=1)", Count = true });

        Assert.Equal([TestEntities.Urn(1)], Ids(page));
    }

    [Fact]
    public async Task Query_InvalidIdPattern_IsBadRequest()
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => Query(new EntityQuery { IdPattern = "urn:(" }));

        Assert.Equal(ErrorTypes.BadRequestData, error.Type);
    }

    [Fact]
    public async Task Query_IdsAndIdPattern_BothApply()
    {
        var page = await Query(new EntityQuery
        {
            Ids = [TestEntities.Urn(1), TestEntities.Urn(22), "urn:ngsi-ld:Building:1"],
            IdPattern = ".*Vehicle.*",
        });

        Assert.Equal([TestEntities.Urn(1), TestEntities.Urn(22)], Ids(page));
    }

    [Fact]
    public async Task Query_RequireAnyAttribute_KeepsEntitiesHavingOne()
    {
        var speed = await Query(new EntityQuery { RequireAnyAttribute = [TestEntities.Speed], Limit = 1000, Count = true });
        var either = await Query(new EntityQuery { RequireAnyAttribute = ["https://example.org/none", TestEntities.Name], Limit = 3, Offset = 8, Count = true });

        Assert.Equal(25, speed.TotalCount);
        Assert.All(speed.Entities, e => Assert.True(e.Attributes.ContainsKey(TestEntities.Speed)));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => TestEntities.Urn(i * 2)), Ids(speed));
        Assert.Equal(["urn:ngsi-ld:Building:8", "urn:ngsi-ld:Building:9"], Ids(either));
        Assert.Equal(10, either.TotalCount);
    }

    [Fact]
    public async Task Query_OtherTenant_SeesNothing()
    {
        await Store.WriteAsync("t1", true, s => s.Insert(TestEntities.Make("urn:x")), CancellationToken.None).WaitAsync(Deadline);

        var page = await Query(new EntityQuery { Count = true }, "t1");
        var unknown = await Query(new EntityQuery { Count = true }, "nobody");

        Assert.Equal(["urn:x"], Ids(page));
        Assert.Equal(1, page.TotalCount);
        Assert.Equal(0, unknown.TotalCount);
    }

    [Fact]
    public async Task Scan_All_StreamsEveryEntityAcrossPages()
    {
        await Store.WriteAsync(Tenants.Default, false, s =>
        {
            for (var i = 100; i < 700; i++)
            {
                s.Insert(TestEntities.Make(TestEntities.Urn(i)));
            }
            return 0;
        }, CancellationToken.None).WaitAsync(Deadline);

        var ids = await ScanIds(null);

        Assert.Equal(660, ids.Count);
        Assert.Equal(660, ids.Distinct().Count());
    }

    [Fact]
    public async Task Scan_Types_StreamsEntitiesHavingAnyOnce()
    {
        await Store.WriteAsync(Tenants.Default, false, s =>
        {
            var both = TestEntities.Make("urn:both", TestEntities.Vehicle);
            both.Types.Add(TestEntities.Building);
            s.Insert(both);
            s.Insert(TestEntities.Make("urn:other", "https://example.org/Other"));
            return 0;
        }, CancellationToken.None).WaitAsync(Deadline);

        var buildings = await ScanIds([TestEntities.Building]);
        var both = await ScanIds([TestEntities.Vehicle, TestEntities.Building, TestEntities.Vehicle]);
        var none = await ScanIds(["https://example.org/None"]);

        Assert.Equal(11, buildings.Count);
        Assert.Contains("urn:both", buildings);
        Assert.Equal(61, both.Count);
        Assert.Equal(61, both.Distinct().Count());
        Assert.DoesNotContain("urn:other", both);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Scan_Cancelled_Stops()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Store.ScanAsync(Tenants.Default, null, cts.Token))
            {
                if (++seen == 1)
                {
                    await cts.CancelAsync();
                }
            }
        });
    }

    private async Task<List<string>> ScanIds(IReadOnlyList<string>? types)
    {
        var ids = new List<string>();
        await foreach (var entity in Store.ScanAsync(Tenants.Default, types, CancellationToken.None))
        {
            ids.Add(entity.Id);
        }
        return ids;
    }
}
