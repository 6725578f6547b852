using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Tests.Federation;

/// <summary>The reconcile logic against fake brokers at the HTTP boundary (no real network).</summary>
public sealed class DomainFederatorTests : IDisposable
{
    private readonly FakeBrokerNetwork _network = new();
    private readonly List<HttpClient> _clients = [];

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        _network.Dispose();
    }

    private DomainFederator Federator(FakeBroker broker, string name, params FakeBroker[] peers)
    {
        var options = Options.Create(new FederationOptions
        {
            DomainName = name,
            Peers = peers.Select(p => p.Url).ToList(),
            RequestRetries = 0,
            RequestTimeout = TimeSpan.FromSeconds(5),
            Owners = ["UPV"],
        });
        var http = new HttpClient(_network, disposeHandler: false);
        _clients.Add(http);
        var client = new BrokerClient(http, options, TimeProvider.System, NullLogger<BrokerClient>.Instance);
        var endpoints = new FederationEndpoints();
        endpoints.Set(broker.Url, broker.Url);
        return new DomainFederator(options, client, endpoints, TimeProvider.System, NullLogger<DomainFederator>.Instance);
    }

    private static string[] Ids(params string[] domains) =>
        domains.SelectMany(FederationRegistrations.Ids).Order(StringComparer.Ordinal).ToArray();

    private static Task<bool> Pass(DomainFederator federator, string phase) => federator.SyncOnceAsync(CancellationToken.None).Within(phase);

    [Fact]
    public async Task SyncOnce_FirstDomain_WritesItsDomainEntityAndNoRegistrations()
    {
        var a = _network.Add("a", 1001);
        var fa = Federator(a, "a");

        Assert.True(await Pass(fa, "syncing a"));

        var domain = a.Entity("urn:ngsi-ld:Domain:a");
        Assert.NotNull(domain);
        Assert.Equal(ContinuumTerms.Domain, domain!["type"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:1001", domain[ContinuumTerms.PublicUrl]!["value"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:DomainStatus:Functional", domain[ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
        Assert.Equal("Relationship", domain[ContinuumTerms.DomainStatus]!["type"]!.GetValue<string>());
        Assert.False(domain[ContinuumTerms.IsEntrypoint]!["value"]!.GetValue<bool>());
        Assert.Equal("urn:ngsi-ld:Organization:UPV", domain[ContinuumTerms.Owner]!["object"]!.GetValue<string>());
        Assert.Empty(a.RegistrationIds);
    }

    [Fact]
    public async Task SyncOnce_NewDomainWithPeer_RegistersEachInTheOther()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));

        var fb = Federator(b, "b", a);
        Assert.True(await Pass(fb, "syncing b"));

        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(Ids("a"), b.RegistrationIds);
        var inA = a.Registration("urn:aerios:federation:b:infrastructure")!;
        Assert.Equal("http://127.0.0.1:1002", inA["endpoint"]!.GetValue<string>());
        Assert.Equal("alias-b", inA["contextSourceAlias"]!.GetValue<string>());
        Assert.True(inA["management"]!["localOnly"]!.GetValue<bool>());
        var inB = b.Registration("urn:aerios:federation:a:services")!;
        Assert.Equal("http://127.0.0.1:1001", inB["endpoint"]!.GetValue<string>());
        Assert.Equal("alias-a", inB["contextSourceAlias"]!.GetValue<string>());
        var known = Assert.Single(fb.Snapshot().Domains);
        Assert.Equal(("a", PeerSyncState.Synced), (known.Name, known.State));
    }

    [Fact]
    public async Task SyncOnce_ThirdDomainJoiningThroughOnePeer_LearnsAllAndAllLearnIt()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        var c = _network.Add("c", 1003);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));
        Assert.True(await Pass(Federator(b, "b", a), "syncing b"));

        var fc = Federator(c, "c", a);
        Assert.True(await Pass(fc, "syncing c"));

        Assert.Equal(Ids("b", "c"), a.RegistrationIds);
        Assert.Equal(Ids("a", "c"), b.RegistrationIds);
        Assert.Equal(Ids("a", "b"), c.RegistrationIds);
        Assert.Equal(["a", "b"], fc.Snapshot().Domains.Select(d => d.Name));
    }

    [Fact]
    public async Task SyncOnce_Repeated_UpdatesInsteadOfDuplicating()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));
        var fb = Federator(b, "b", a);
        Assert.True(await Pass(fb, "first pass of b"));
        var creates = a.Calls["POST csourceRegistrations"];

        Assert.True(await Pass(fb, "second pass of b"));

        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(creates + 4, a.Calls["POST csourceRegistrations"]);
        Assert.Equal(4, a.Calls["PATCH csourceRegistrations"]);
    }

    [Fact]
    public async Task SyncOnce_Repeated_WritesTheUnchangedDomainEntityOnce()
    {
        var a = _network.Add("a", 1001);
        var fa = Federator(a, "a");

        Assert.True(await Pass(fa, "first pass"));
        Assert.True(await Pass(fa, "second pass"));
        Assert.True(await Pass(fa, "third pass"));

        Assert.Equal(1, a.Calls["POST entityOperations"]);
    }

    [Fact]
    public async Task SyncOnce_DomainEntityChangedByOthers_IsRestored()
    {
        var a = _network.Add("a", 1001);
        var fa = Federator(a, "a");
        Assert.True(await Pass(fa, "first pass"));
        var changed = a.Entity("urn:ngsi-ld:Domain:a")!;
        changed[ContinuumTerms.DomainStatus] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:DomainStatus:Disabled" };
        changed["https://smartdatamodels.org/dataModel.IT/publicKey"] = new JsonObject { ["type"] = "Property", ["value"] = "k" };
        a.PutEntity(changed);

        Assert.True(await Pass(fa, "second pass"));

        var domain = a.Entity("urn:ngsi-ld:Domain:a")!;
        Assert.Equal(ContinuumTerms.DomainStatusFunctional, domain[ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
        Assert.Equal("k", domain["https://smartdatamodels.org/dataModel.IT/publicKey"]!["value"]!.GetValue<string>());
        Assert.Equal(2, a.Calls["POST entityOperations"]);
    }

    [Fact]
    public async Task SyncOnce_PeerDown_ReportsIncompleteThenConvergesWhenItIsBack()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));
        a.Down = true;
        var fb = Federator(b, "b", a);

        Assert.False(await Pass(fb, "syncing b while a is down"));
        Assert.False(Assert.Single(fb.Snapshot().Peers).Reachable);
        Assert.Empty(b.RegistrationIds);

        a.Down = false;
        Assert.True(await Pass(fb, "syncing b once a is back"));
        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(Ids("a"), b.RegistrationIds);
    }

    [Fact]
    public async Task SyncOnce_KnownDomainDown_KeepsSyncingTheOthers()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        var c = _network.Add("c", 1003);
        var fa = Federator(a, "a");
        Assert.True(await Pass(fa, "syncing a"));
        Assert.True(await Pass(Federator(b, "b", a), "syncing b"));
        Assert.True(await Pass(fa, "a learning b"));
        b.Down = true;

        Assert.True(await Pass(Federator(c, "c", a), "syncing c"));
        Assert.False(await Pass(fa, "a syncing while b is down"));

        var states = fa.Snapshot().Domains.ToDictionary(d => d.Name, d => d.State);
        Assert.Equal(PeerSyncState.Unreachable, states["b"]);
        Assert.Equal(PeerSyncState.Synced, states["c"]);
        // B's registrations stay in A while B is merely unreachable (the broker's timeout covers the outage).
        Assert.Equal(Ids("b", "c"), a.RegistrationIds);
    }

    [Fact]
    public async Task Leave_RemovesRegistrationsEverywhereAndMarksTheDomainRemoved()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        var c = _network.Add("c", 1003);
        var fa = Federator(a, "a");
        var fb = Federator(b, "b", a);
        var fc = Federator(c, "c", a);
        Assert.True(await Pass(fa, "syncing a"));
        Assert.True(await Pass(fb, "syncing b"));
        Assert.True(await Pass(fc, "syncing c"));

        var outcomes = await fc.LeaveAsync(CancellationToken.None).Within("c leaving");

        Assert.Equal(["a", "b"], outcomes.Select(o => o.Domain));
        Assert.All(outcomes, o => Assert.True(o.RegistrationsRemoved));
        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(Ids("a"), b.RegistrationIds);
        Assert.Empty(c.RegistrationIds);
        Assert.Equal(ContinuumTerms.DomainStatusRemoved, c.Entity("urn:ngsi-ld:Domain:c")![ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
        Assert.True(fc.HasLeft);

        // The others' next passes must not bring c back, and c's own passes do nothing any more.
        Assert.True(await Pass(fa, "a after c left"));
        Assert.True(await Pass(fb, "b after c left"));
        Assert.True(await Pass(fc, "c after it left"));
        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(Ids("a"), b.RegistrationIds);
        Assert.Empty(c.RegistrationIds);
        Assert.DoesNotContain(fa.Snapshot().Domains, d => d.Name == "c");
    }

    [Fact]
    public async Task SyncOnce_DomainLeftWhileUnreachable_IsCleanedUpWhenItsRemovedStatusIsSeen()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        var fa = Federator(a, "a");
        var fb = Federator(b, "b", a);
        Assert.True(await Pass(fa, "syncing a"));
        Assert.True(await Pass(fb, "syncing b"));
        Assert.True(await Pass(fa, "a learning b"));

        a.Down = true;
        var outcome = Assert.Single(await fb.LeaveAsync(CancellationToken.None).Within("b leaving while a is down"));
        Assert.False(outcome.RegistrationsRemoved);
        Assert.Equal(Ids("b"), a.RegistrationIds);

        a.Down = false;
        Assert.True(await Pass(fa, "a seeing b removed"));

        Assert.Empty(a.RegistrationIds);
        Assert.Empty(b.RegistrationIds);
        Assert.Empty(fa.Snapshot().Domains);
    }

    [Fact]
    public async Task Rejoin_AfterLeave_RegistersAgain()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));
        var fb = Federator(b, "b", a);
        Assert.True(await Pass(fb, "syncing b"));
        await fb.LeaveAsync(CancellationToken.None).Within("b leaving");
        Assert.Empty(a.RegistrationIds);

        fb.Rejoin();
        Assert.True(await Pass(fb, "b joining again"));

        Assert.Equal(Ids("b"), a.RegistrationIds);
        Assert.Equal(ContinuumTerms.DomainStatusFunctional, b.Entity("urn:ngsi-ld:Domain:b")![ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task SyncOnce_AnotherDomainWithTheSameName_IsReportedAndNotRegistered()
    {
        var first = _network.Add("a", 1001);
        var second = _network.Add("a2", 1002);
        Assert.True(await Pass(Federator(first, "a"), "syncing the first a"));
        var duplicate = Federator(second, "a", first);

        await Pass(duplicate, "syncing the second a");

        Assert.Equal(new Uri("http://127.0.0.1:1001"), duplicate.Snapshot().NameConflict);
        Assert.Empty(duplicate.Snapshot().Domains);
        Assert.Empty(first.RegistrationIds);
    }

    [Fact]
    public async Task SyncOnce_OwnBrokerDown_ReportsIncompleteWithoutThrowing()
    {
        var a = _network.Add("a", 1001);
        a.Down = true;

        Assert.False(await Pass(Federator(a, "a"), "syncing a while its broker is down"));
    }

    [Fact]
    public async Task SyncOnce_AfterRestart_RecoversKnownDomainsFromHeldRegistrations()
    {
        var a = _network.Add("a", 1001);
        var b = _network.Add("b", 1002);
        Assert.True(await Pass(Federator(a, "a"), "syncing a"));
        Assert.True(await Pass(Federator(b, "b", a), "syncing b"));

        // A fresh federator for b without peers: the registrations in b's broker tell it about a.
        var restarted = Federator(b, "b");
        Assert.True(await Pass(restarted, "syncing the restarted b"));

        Assert.Equal(["a"], restarted.Snapshot().Domains.Select(d => d.Name));
    }
}
