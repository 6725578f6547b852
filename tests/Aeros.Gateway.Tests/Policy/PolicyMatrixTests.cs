using System.Net;
using Aeros.Security.Policy;
using Aeros.Gateway.Tests.TestSupport;

namespace Aeros.Gateway.Tests.Policy;

/// <summary>
/// The full role × route × method × domain matrix of the default policy, through a real gateway to real backends. The
/// expected table is written out here independently of the policy file, so a change of the policy shows up as a
/// failing cell.
/// </summary>
public sealed class PolicyMatrixTests
{
    // R = read (GET), W = write (POST), D = delete (DELETE); "any" = also with a token of another domain.
    private static readonly Dictionary<string, Dictionary<string, (string Actions, bool AnyDomain)>> Expected = new()
    {
        ["ContinuumAdministrator"] = All("RWD", anyDomain: true),
        ["DomainAdministrator"] = All("RWD", anyDomain: false),
        ["ServiceDeployer"] = new() { ["hlo"] = ("RWD", false), ["broker"] = ("R", false), ["llo"] = ("R", false), ["ie"] = ("R", false), ["openapi"] = ("R", false) },
        ["ServiceDeveloper"] = new() { ["broker"] = ("R", false), ["hlo"] = ("R", false), ["llo"] = ("R", false), ["ie"] = ("R", false), ["openapi"] = ("R", false) },
        ["ContextBroker"] = new() { ["broker"] = ("RWD", true), ["federation"] = ("RWD", true) },
        ["Hlo"] = new() { ["hlo"] = ("RWD", true), ["broker"] = ("R", true), ["ie"] = ("RWD", false) },
        ["Agent"] = new() { ["broker"] = ("RW", false), ["llo"] = ("R", false) },
    };

    private static readonly Dictionary<string, string> Paths = new()
    {
        ["broker"] = "ngsi-ld/v1/entities/urn:ngsi-ld:T:1",
        ["hlo"] = "hlo/v1/services/s1",
        ["llo"] = "llo/v1/components",
        ["federation"] = "federation/v1/domains",
        ["iam"] = "iam/admin/users",
        ["ie"] = "ie/ie-1/self/v1/status",
        ["openapi"] = "openapi.json",
    };

    private static Dictionary<string, (string, bool)> All(string actions, bool anyDomain) =>
        GatewayApis.All.ToDictionary(a => a, _ => (actions, anyDomain));

    [Fact]
    public void Expected_CoversEveryKnownRole()
    {
        Assert.Equal(AccessPolicy.KnownRoles.Order(), Expected.Keys.Order());
        Assert.Equal(GatewayApis.All.Order(), Paths.Keys.Order());
    }

    [Theory]
    [InlineData(true)] // the backend routes on the fast path (the default)
    [InlineData(false)] // every route through endpoint routing
    public async Task Request_EveryRoleRouteMethodAndDomain_MatchesPolicyTable(bool fastPath)
    {
        await using var issuer = await TestIssuer.StartAsync();
        var backends = new Dictionary<string, TestBackend>();
        foreach (var api in new[] { "broker", "hlo", "llo", "federation", "iam", "ie" })
        {
            backends[api] = await TestBackend.StartAsync(api);
        }
        try
        {
            await using var gateway = await GatewayUnderTest.StartAsync(o =>
            {
                o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
                o.Broker.Destinations.Add(backends["broker"].Url);
                o.Hlo.Destinations.Add(backends["hlo"].Url);
                o.Hlo.OpenApiPath = null;
                o.Llo.Destinations.Add(backends["llo"].Url);
                o.Federation.Destinations.Add(backends["federation"].Url);
                o.Iam.Destinations.Add(backends["iam"].Url);
                o.InfrastructureElements["ie-1"] = backends["ie"].Url.ToString();
                o.Limits.ClientBurst = 100_000;
                o.FastPath = fastPath;
            });
            var now = DateTimeOffset.UtcNow;
            var failures = new List<string>();
            var cells = 0;
            foreach (var (role, grants) in Expected)
            {
                foreach (var ownDomain in new[] { true, false })
                {
                    var token = issuer.Token(now, [role], ownDomain ? ["domain1"] : ["domain2"], client: role + ownDomain);
                    foreach (var (api, path) in Paths)
                    {
                        foreach (var (method, action) in new[] { (HttpMethod.Get, 'R'), (HttpMethod.Post, 'W'), (HttpMethod.Delete, 'D') })
                        {
                            if (api == "openapi" && method != HttpMethod.Get)
                            {
                                continue; // only GET is routed there
                            }
                            var allowed = grants.TryGetValue(api, out var grant) && grant.Actions.Contains(action) && (ownDomain || grant.AnyDomain);
                            var hitsBefore = backends.GetValueOrDefault(api)?.Hits;
                            using var response = await gateway.SendAsync(method, path, token, method == HttpMethod.Get ? null : new StringContent("{}"));
                            cells++;
                            var expected = allowed ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
                            if (response.StatusCode != expected)
                            {
                                failures.Add($"{role} {(ownDomain ? "own" : "other")} domain {method} {api}: {(int)response.StatusCode}, expected {(int)expected}");
                            }
                            if (hitsBefore is { } before && backends[api].Hits != before + (allowed ? 1 : 0))
                            {
                                failures.Add($"{role} {(ownDomain ? "own" : "other")} domain {method} {api}: backend hits {backends[api].Hits - before}");
                            }
                        }
                    }
                }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {cells} cells differ:\n" + string.Join("\n", failures));
            Assert.Equal(7 * 2 * (6 * 3 + 1), cells);
        }
        finally
        {
            foreach (var b in backends.Values)
            {
                await b.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Request_TokenWithWildcardDomain_AllowedForOwnDomainRoles()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await Tokens.TokenAttackTests.StartGatewayAsync(issuer, broker);

        using var wildcard = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["*"]));
        using var none = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], []));

        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal(1, broker.Hits);
    }
}
