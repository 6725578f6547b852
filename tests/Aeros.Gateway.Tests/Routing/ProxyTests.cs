using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Aeros.Gateway.Tests.TestSupport;
using Aeros.Gateway.Tests.Tokens;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Testing;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Tests.Routing;

/// <summary>What passes the checks: forwarding, latency headers, access logs, caching, load balancing with health checks, IE self-APIs, OpenAPI.</summary>
public sealed class ProxyTests
{
    [Fact]
    public async Task Request_Allowed_ForwardedWithLatencyHeadersAndSecretFreeAccessLog()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker);
        var token = issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities?access_token=secret-in-query", token);
        using var rejected = await gateway.GetAsync("ngsi-ld/v1/entities", token + "x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var gatewayMs = double.Parse(response.Headers.GetValues(GatewayHeaders.GatewayLatency).Single(), CultureInfo.InvariantCulture);
        var upstreamMs = double.Parse(response.Headers.GetValues(GatewayHeaders.UpstreamLatency).Single(), CultureInfo.InvariantCulture);
        Assert.True(gatewayMs >= 0 && upstreamMs >= 0);
        Assert.True(rejected.Headers.Contains(GatewayHeaders.GatewayLatency));
        Assert.False(rejected.Headers.Contains(GatewayHeaders.UpstreamLatency));
        Assert.True(Assert.Single(broker.Requests).HadAuthorization); // backends may check the token themselves
        await TestDeadline.Until(() => gateway.Logs.Lines.Count(l => l.EventId == 6200) >= 2, "both requests were access-logged");
        var access = gateway.Logs.Lines.Where(l => l.EventId == 6200).Select(l => l.Message).ToList();
        Assert.Contains(access, l => l.Contains("GET /ngsi-ld/v1/entities → 200", StringComparison.Ordinal) && l.Contains("client=client-a", StringComparison.Ordinal));
        Assert.Contains(access, l => l.Contains("→ 401", StringComparison.Ordinal));
        foreach (var (_, _, message) in gateway.Logs.Lines)
        {
            Assert.DoesNotContain(token[..20], message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-in-query", message, StringComparison.Ordinal);
            Assert.DoesNotContain("Bearer ey", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Get_ApiCachedByPolicy_SecondGetServedFromCacheAndWriteInvalidates()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        var policy = Path.Combine(Path.GetTempPath(), $"aeros-policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(policy, """
            roles:
              DomainAdministrator:
                - apis: ["*"]
                  actions: [read, write, delete]
              Agent:
                - apis: [llo]
                  actions: [read]
            cache:
              broker: 60s
            """);
        try
        {
            await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.PolicyFile = policy);
            var now = DateTimeOffset.UtcNow;
            var admin = issuer.Token(now, ["DomainAdministrator"], ["domain1"]);
            var agent = issuer.Token(now, ["Agent"], ["domain1"], client: "agent");

            using var first = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", admin);
            using var second = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", admin);
            using var forbidden = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", agent); // a cache hit is no way around the policy
            using var otherQuery = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a?attrs=x", admin);
            using var write = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", admin, new StringContent("{}"));
            using var third = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", admin);

            Assert.Equal("miss", first.Headers.GetValues(GatewayHeaders.Cache).Single());
            Assert.Equal("hit", second.Headers.GetValues(GatewayHeaders.Cache).Single());
            Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("miss", third.Headers.GetValues(GatewayHeaders.Cache).Single());
            Assert.Equal(4, broker.Hits); // first, otherQuery, write, third
        }
        finally
        {
            File.Delete(policy);
        }
    }

    [Fact]
    public async Task Request_BackendWithReplicas_BalancedAndUnhealthyReplicaSkipped()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(a.Url);
            o.Broker.Destinations.Add(b.Url);
            o.Broker.HealthCheckPath = "/health";
            o.Broker.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
            o.Limits.ClientBurst = 100_000;
        });
        var token = issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);
        for (var i = 0; i < 10; i++)
        {
            using var r = await gateway.GetAsync("ngsi-ld/v1/entities", token);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.True(a.Hits > 0 && b.Hits > 0, $"round robin: a={a.Hits} b={b.Hits}");

        b.HealthStatus = 503;
        await TestDeadline.Until(async () =>
        {
            // Healthy again only when 10 requests in a row avoid b.
            var before = b.Hits;
            for (var i = 0; i < 10; i++)
            {
                using var r = await gateway.GetAsync("ngsi-ld/v1/entities", token);
            }
            return b.Hits == before;
        }, "the active health check took replica b out", TimeSpan.FromSeconds(30));
        Assert.True(b.HealthHits >= 2);
    }

    [Fact]
    public async Task Request_IeSelfApi_RoutedByConfigurationAndByBrokerSelfApiUrl()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var configured = await TestBackend.StartAsync("ie-configured");
        await using var registered = await TestBackend.StartAsync("ie-registered");
        await using var broker = await TestBroker.StartAsync();
        const string ieId = "urn:ngsi-ld:InfrastructureElement:domain1:aa-bb";
        using (var http = broker.CreateHttpClient())
        {
            // The element registers itself as an agent does: through the continuum client, selfApiUrl included.
            var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
            await client.UpsertAsync(new InfrastructureElement { Id = ieId, Domain = "urn:ngsi-ld:Domain:domain1", SelfApiUrl = registered.Url.ToString().TrimEnd('/') })
                .Within("registering the element in the broker");
        }
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.InfrastructureElements["edge-1"] = configured.Url.ToString();
        });
        var token = issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]);

        using var viaConfig = await gateway.GetAsync("ie/edge-1/self/v1/status?x=1", token);
        using var viaBroker = await gateway.GetAsync($"ie/{ieId}/self/v1/metrics", token);
        using var unknown = await gateway.GetAsync("ie/urn:ngsi-ld:InfrastructureElement:domain1:none/self/v1/status", token);

        Assert.Equal(HttpStatusCode.OK, viaConfig.StatusCode);
        Assert.Equal("/self/v1/status?x=1", Assert.Single(configured.Requests).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, viaBroker.StatusCode);
        Assert.Equal("/self/v1/metrics", Assert.Single(registered.Requests).PathAndQuery);
        Assert.True(viaBroker.Headers.Contains(GatewayHeaders.UpstreamLatency));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        // Dot segments, even percent-encoded, never lead out of the element's /self/ API.
        foreach (var sneaky in new[] { "ie/edge-1/self/v1/%2e%2e/%2e%2e/admin", "ie/edge-1/self/v1/..%5C..%5Cadmin" })
        {
            using var escape = await gateway.GetAsync(sneaky, token);
            Assert.True(escape.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, $"{sneaky}: {(int)escape.StatusCode}");
        }
        Assert.Single(configured.Requests);
    }

    [Fact]
    public async Task GetOpenApi_BackendsWithDocuments_Aggregated()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var hlo = await TestBackend.StartAsync("hlo");
        hlo.Fixed["/hlo/v1/openapi.json"] = (200, "application/json", """
            {"openapi":"3.1.0","info":{"title":"HLO","version":"1"},"paths":{"/hlo/v1/services":{"get":{"responses":{"200":{"description":"ok"}}}}},
             "components":{"schemas":{"Service":{"type":"object"}}}}
            """);
        broker.Fixed["/ngsi-ld/openapi.json"] = (500, "text/plain", "boom");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o =>
        {
            o.Hlo.Destinations.Add(hlo.Url);
            o.Broker.OpenApiPath = "/ngsi-ld/openapi.json";
        });
        var token = issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]);

        using var response = await gateway.GetAsync("openapi.json", token);
        using var cached = await gateway.GetAsync("openapi.json", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("3.1.0", (string?)doc["openapi"]);
        Assert.NotNull(doc["paths"]!["/hlo/v1/services"]);
        Assert.NotNull(doc["components"]!["schemas"]!["Service"]);
        Assert.Equal("bearer", (string?)doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]);
        var sources = doc["x-aeros-sources"]!.AsArray();
        Assert.Contains(sources, s => (string?)s!["api"] == "broker" && ((string?)s["error"])!.Contains("500", StringComparison.Ordinal));
        Assert.Equal("hit", cached.Headers.GetValues(GatewayHeaders.Cache).Single()); // the default policy caches it
        Assert.Equal(1, hlo.Hits);
    }

    [Fact]
    public async Task Request_BackendDown_502ProblemDetails()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var broker = await TestBackend.StartAsync("broker");
        var url = broker.Url;
        await broker.DisposeAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(url);
        });

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]));
        using var notConfigured = await gateway.GetAsync("llo/v1/x", issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notConfigured.StatusCode);
        Assert.Equal("application/problem+json", notConfigured.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void Validate_BadOptions_ListsEveryError()
    {
        var options = new GatewayOptions { DomainName = "bad domain!", ClockSkew = TimeSpan.FromHours(1), PolicyFile = "/nonexistent/policy.yaml" };
        options.Issuers.Add(new TrustedIssuerOptions { Issuer = "not a url", Kind = "okta" });
        options.Broker.Destinations.Add(new Uri("ftp://x/"));
        options.Limits.ClientBurst = 0;

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var text = string.Join("\n", result.Failures!);
        foreach (var expected in new[] { "DomainName", "ClockSkew", "Issuer 'not a url'", "Kind 'okta'", "PolicyFile", "ftp://x/", "ClientBurst" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }
}
