using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Federation;

/// <summary>
/// Three real domain hosts (broker + federator) on loopback: they federate through context source
/// registrations and distributed queries of the real broker.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FederationIntegrationTests : IAsyncLifetime
{
    private readonly List<DomainNode> _nodes = [];
    private DomainNode _a = null!;
    private DomainNode _b = null!;
    private DomainNode _c = null!;

    private static readonly string[] AllIes =
    [
        "urn:ngsi-ld:InfrastructureElement:a:000000000a01", "urn:ngsi-ld:InfrastructureElement:a:000000000a02",
        "urn:ngsi-ld:InfrastructureElement:b:000000000b01", "urn:ngsi-ld:InfrastructureElement:b:000000000b02",
        "urn:ngsi-ld:InfrastructureElement:c:000000000c01", "urn:ngsi-ld:InfrastructureElement:c:000000000c02",
    ];

    public async Task InitializeAsync()
    {
        // a starts the continuum; b and c join through a only.
        _a = await Start("a");
        _b = await Start("b", _a);
        _c = await Start("c", _a);
        foreach (var node in _nodes)
        {
            await node.CreateInfrastructureElementAsync($"urn:ngsi-ld:InfrastructureElement:{node.Name}:000000000{node.Name}01", node.Name + "-1");
            await node.CreateInfrastructureElementAsync($"urn:ngsi-ld:InfrastructureElement:{node.Name}:000000000{node.Name}02", node.Name + "-2");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task<DomainNode> Start(string name, params DomainNode[] peers)
    {
        var node = await DomainNode.StartAsync(name, peers);
        _nodes.Add(node);
        return node;
    }

    private async Task ConvergedAsync()
    {
        foreach (var node in _nodes)
        {
            var others = _nodes.Where(n => n != node).Select(n => n.Name).ToList();
            await TestDeadline.Until(async () => (await node.SyncedDomainsAsync()).SequenceEqual(others),
                $"{node.Name} is in sync with {string.Join(", ", others)}",
                describe: async () => (await node.FederationStateAsync()).ToJsonString());
        }
    }

    [Fact]
    public async Task Query_ThreeDomains_EachReturnsTheInfrastructureElementsOfAll()
    {
        await ConvergedAsync();

        foreach (var node in _nodes)
        {
            Assert.Equal(AllIes, await node.QueryInfrastructureElementIdsAsync());
            Assert.Equal(AllIes.Where(id => id.Contains($":{node.Name}:", StringComparison.Ordinal)), await node.QueryInfrastructureElementIdsAsync(local: true));
        }
    }

    [Fact]
    public async Task Resync_AfterConvergence_UpdatesTheExistingRegistrationsAndStaysInSync()
    {
        await ConvergedAsync();
        var converged = DateTimeOffset.UtcNow;

        // Later passes find every registration in place (409) and update it (PATCH); they must stay complete.
        foreach (var node in _nodes)
        {
            await TestDeadline.Until(async () =>
            {
                var state = await node.FederationStateAsync();
                return state["lastPass"] is { } last
                    && DateTimeOffset.Parse(last.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > converged.AddSeconds(1.5);
            }, $"{node.Name} ran a pass after convergence");
            var after = await node.FederationStateAsync();
            Assert.True(after["lastPassComplete"]!.GetValue<bool>(), after.ToJsonString());
            Assert.Equal(_nodes.Where(n => n != node).Select(n => n.Name), await node.SyncedDomainsAsync());
        }
    }

    [Fact]
    public async Task Join_ThreeDomains_RegistersTheFourAerosRegistrationsOfEachOtherDomain()
    {
        await ConvergedAsync();

        foreach (var node in _nodes)
        {
            foreach (var other in _nodes.Where(n => n != node))
            {
                foreach (var id in FederationRegistrations.Ids(other.Name))
                {
                    using var response = await node.Client.GetAsync("/ngsi-ld/v1/csourceRegistrations/" + Uri.EscapeDataString(id)).Within($"reading {id} in {node.Name}");
                    var text = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{id} in {node.Name}: {(int)response.StatusCode} {text}");
                    var registration = JsonNode.Parse(text)!;
                    Assert.Equal(other.Url.AbsoluteUri.TrimEnd('/'), registration["endpoint"]!.GetValue<string>());
                    Assert.Equal("inclusive", registration["mode"]!.GetValue<string>());
                    Assert.True(registration["management"]!["localOnly"]!.GetValue<bool>());
                }
            }
            // Every domain's Domain entity is kept in its own broker and visible through the federation.
            using var domains = await node.Client.GetAsync($"/ngsi-ld/v1/entities?type={Uri.EscapeDataString(ContinuumTerms.Domain)}").Within("querying domains");
            var ids = JsonNode.Parse(await domains.Content.ReadAsStringAsync())!.AsArray().Select(d => d!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal);
            Assert.Equal(["urn:ngsi-ld:Domain:a", "urn:ngsi-ld:Domain:b", "urn:ngsi-ld:Domain:c"], ids);
        }
    }

    [Fact]
    public async Task Query_DomainStopped_OthersStillAnswerWithinTheTimeout()
    {
        await ConvergedAsync();

        await _c.StopAsync();

        foreach (var node in new[] { _a, _b })
        {
            var clock = Stopwatch.StartNew();
            var ids = await node.QueryInfrastructureElementIdsAsync();
            clock.Stop();
            Assert.Equal(AllIes.Where(id => !id.Contains(":c:", StringComparison.Ordinal)), ids);
            Assert.True(clock.Elapsed < DomainNode.ForwardTimeout + TimeSpan.FromSeconds(3), $"query in {node.Name} took {clock.Elapsed}");
        }
    }

    [Fact]
    public async Task Query_DomainHangingMidQuery_OthersAnswerWithinTheForwardTimeout()
    {
        await ConvergedAsync();
        // A "domain" that accepts connections and never answers: its registration in a makes every query wait
        // for it, at most the registration's timeout.
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var accepted = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    accepted.Add(await blackHole.AcceptTcpClientAsync(stop.Token));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        try
        {
            var port = ((IPEndPoint)blackHole.LocalEndpoint).Port;
            var registration = FederationRegistrations.Build("hung", new Uri($"http://127.0.0.1:{port}/"), "hung-broker", DomainNode.ForwardTimeout)[0];
            using (var created = await _a.Client.PostAsync("/ngsi-ld/v1/csourceRegistrations", new StringContent(registration.ToJsonString(), Encoding.UTF8, "application/json")).Within("registering the hung domain"))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            var clock = Stopwatch.StartNew();
            var ids = await _a.QueryInfrastructureElementIdsAsync();
            clock.Stop();

            Assert.Equal(AllIes, ids);
            Assert.True(clock.Elapsed >= DomainNode.ForwardTimeout - TimeSpan.FromMilliseconds(200), $"the query did not wait for the hung domain ({clock.Elapsed})");
            Assert.True(clock.Elapsed < DomainNode.ForwardTimeout + TimeSpan.FromSeconds(3), $"query took {clock.Elapsed}");
        }
        finally
        {
            await stop.CancelAsync();
            await acceptLoop.Within("stopping the black hole");
            foreach (var client in accepted)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Leave_Domain_IsGoneFromTheOthersAnswersAndStaysGone()
    {
        await ConvergedAsync();

        using var response = await _c.Client.PostAsync("/federation/v1/leave", null).Within("c leaving");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var result = JsonNode.Parse(text)!;
        Assert.Equal(["a", "b"], result["domains"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
        Assert.All(result["domains"]!.AsArray(), d => Assert.True(d!["registrationsRemoved"]!.GetValue<bool>()));

        var remaining = AllIes.Where(id => !id.Contains(":c:", StringComparison.Ordinal)).ToList();
        Assert.Equal(remaining, await _a.QueryInfrastructureElementIdsAsync());
        Assert.Equal(remaining, await _b.QueryInfrastructureElementIdsAsync());
        Assert.Equal(AllIes.Where(id => id.Contains(":c:", StringComparison.Ordinal)), await _c.QueryInfrastructureElementIdsAsync());

        // The others' reconcile passes after the leave must not bring c back.
        var leftAt = DateTimeOffset.UtcNow;
        foreach (var node in new[] { _a, _b })
        {
            await TestDeadline.Until(async () =>
            {
                var state = await node.FederationStateAsync();
                return state["lastPass"] is { } last && DateTimeOffset.Parse(last.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > leftAt.AddSeconds(1)
                    && !state["domains"]!.AsArray().Any(d => d!["name"]!.GetValue<string>() == "c");
            }, $"{node.Name} completed a pass after c left and forgot c", describe: async () => (await node.FederationStateAsync()).ToJsonString());
        }
        Assert.Equal(remaining, await _a.QueryInfrastructureElementIdsAsync());
        Assert.Equal(remaining, await _b.QueryInfrastructureElementIdsAsync());
        using var domain = await _c.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Domain:c").Within("reading c's Domain entity");
        var entity = JsonNode.Parse(await domain.Content.ReadAsStringAsync())!;
        Assert.Equal(ContinuumTerms.DomainStatusRemoved, entity[ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
        Assert.Equal("left", (await _c.FederationStateAsync())["status"]!.GetValue<string>());
    }
}
