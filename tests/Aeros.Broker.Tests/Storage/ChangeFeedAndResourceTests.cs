using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Tests.Storage;

public sealed class ChangeFeedAndResourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TempStore.Deadline;
    private TempStore _temp = null!;

    public async Task InitializeAsync() => _temp = await TempStore.CreateAsync();

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private Task<T> Write<T>(Func<IEntityWriteSession, T> work, string tenant = Tenants.Default, bool createTenant = true) =>
        _temp.Store.WriteAsync(tenant, createTenant, work, CancellationToken.None).WaitAsync(Deadline);

    private sealed class Recorder(string? tenant = null) : IEntityChangeObserver
    {
        public ConcurrentQueue<IReadOnlyList<EntityChange>> Units { get; } = new();

        public bool Observes(string t) => tenant is null || t == tenant;

        public void OnCommitted(IReadOnlyList<EntityChange> changes) => Units.Enqueue(changes);
    }

    [Fact]
    public async Task Write_Observed_PublishesEachChangeWithBeforeAndAfterInOrder()
    {
        var recorder = new Recorder();
        _temp.Changes.Subscribe(recorder);
        await Write(s => s.Insert(TestEntities.Make("urn:a", TestEntities.Vehicle, (TestEntities.Speed, 1))));

        await Write(s =>
        {
            var a = s.Get("urn:a")!;
            a.Attributes[TestEntities.Speed][0].Value = JsonValue.Create(2);
            s.Update(a);
            a.Attributes[TestEntities.Speed][0].Value = JsonValue.Create(3);
            s.Update(a);
            return s.Delete("urn:a");
        });

        var units = recorder.Units.ToArray();
        Assert.Equal(2, units.Length);
        var created = Assert.Single(units[0]);
        Assert.Equal(EntityChangeKind.Created, created.Kind);
        Assert.Null(created.DecodeBefore());
        Assert.Equal(1, created.DecodeAfter()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());

        Assert.Equal([EntityChangeKind.Updated, EntityChangeKind.Updated, EntityChangeKind.Deleted], units[1].Select(c => c.Kind));
        Assert.Equal(1, units[1][0].DecodeBefore()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.Equal(2, units[1][0].DecodeAfter()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.Equal(2, units[1][1].DecodeBefore()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.Equal(3, units[1][2].DecodeBefore()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
        Assert.Null(units[1][2].After);
        Assert.All(units[1], c => Assert.Equal("urn:a", c.Id));
    }

    [Fact]
    public async Task Write_DeleteWithoutRead_RecordsStoredBodyAsBefore()
    {
        await Write(s => s.Insert(TestEntities.Make("urn:b", TestEntities.Vehicle, (TestEntities.Speed, 7))));
        var recorder = new Recorder();
        _temp.Changes.Subscribe(recorder);

        await Write(s => s.Delete("urn:b"));

        var change = Assert.Single(Assert.Single(recorder.Units));
        Assert.Equal(EntityChangeKind.Deleted, change.Kind);
        Assert.Equal(7, change.DecodeBefore()!.Attributes[TestEntities.Speed][0].Value!.GetValue<int>());
    }

    [Fact]
    public async Task Write_FailedWorkOrOtherTenantOrNoChange_PublishesNothing()
    {
        var recorder = new Recorder(tenant: "watched");
        _temp.Changes.Subscribe(recorder);

        await Write(s => s.Insert(TestEntities.Make("urn:c")), tenant: "other");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Write<bool>(s =>
        {
            s.Insert(TestEntities.Make("urn:d"));
            throw new InvalidOperationException("boom");
        }, tenant: "watched"));
        await Write(s => s.Insert(TestEntities.Make("urn:c")), tenant: "other"); // duplicate: no change

        Assert.Empty(recorder.Units);
        await Write(s => s.Insert(TestEntities.Make("urn:e")), tenant: "watched");
        Assert.Equal("urn:e", Assert.Single(Assert.Single(recorder.Units)).Id);
    }

    [Fact]
    public async Task Write_ConcurrentUnitsOfTwoTenants_EachChangePublishedOnceInListsOfOneTenant()
    {
        var recorder = new Recorder();
        _temp.Changes.Subscribe(recorder);

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            Write(s => s.Insert(TestEntities.Make(TestEntities.Urn(i))), tenant: i % 2 == 0 ? "even" : "odd")));

        var lists = recorder.Units.ToArray();
        Assert.All(lists, list => Assert.Single(list.Select(c => c.Tenant).Distinct()));
        var published = lists.SelectMany(list => list).ToArray();
        Assert.Equal(60, published.Length);
        Assert.Equal(Enumerable.Range(0, 60).Select(TestEntities.Urn).Order(), published.Select(c => c.Id).Order());
        Assert.All(published, c => Assert.Equal(EntityChangeKind.Created, c.Kind));
    }

    [Fact]
    public async Task Resources_InsertUpdateDelete_PerKindAndTenant_SurviveReopen()
    {
        Assert.True(await Write(s => s.InsertResource(ResourceKinds.Subscription, "urn:s1", """{"a":1}""")));
        Assert.False(await Write(s => s.InsertResource(ResourceKinds.Subscription, "urn:s1", """{"a":2}""")));
        Assert.True(await Write(s => s.InsertResource(ResourceKinds.Registration, "urn:s1", """{"r":1}""")));
        Assert.True(await Write(s => s.InsertResource(ResourceKinds.Subscription, "urn:s1", """{"t":1}"""), tenant: "t1"));
        Assert.True(await Write(s => s.UpdateResource(ResourceKinds.Subscription, "urn:s1", """{"a":3}""")));
        Assert.False(await Write(s => s.UpdateResource(ResourceKinds.Subscription, "urn:none", "{}")));
        Assert.Equal("""{"a":3}""", await Write(s => s.GetResource(ResourceKinds.Subscription, "urn:s1")));

        await _temp.ReopenAsync();

        var subscriptions = await _temp.Store.ListResourcesAsync(ResourceKinds.Subscription, CancellationToken.None);
        Assert.Equal([("", "urn:s1", """{"a":3}"""), ("t1", "urn:s1", """{"t":1}""")],
            subscriptions.Select(r => (r.Tenant, r.Id, r.Json)));
        Assert.True(await Write(s => s.DeleteResource(ResourceKinds.Subscription, "urn:s1")));
        Assert.False(await Write(s => s.DeleteResource(ResourceKinds.Subscription, "urn:s1")));
        Assert.Null(await Write(s => s.GetResource(ResourceKinds.Subscription, "urn:s1")));
        Assert.Single(await _temp.Store.ListResourcesAsync(ResourceKinds.Registration, CancellationToken.None));
    }
}
