using System.Net;
using System.Text.Json.Nodes;
using Aeros.Gateway.Tests.TestSupport;
using Aeros.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Gateway.Tests.Tokens;

/// <summary>Signing keys: fetched through discovery, refetched on an unknown kid but rate-limited, rotated without restart; several issuers; Keycloak-shaped tokens.</summary>
public sealed class JwksTests
{
    [Fact]
    public async Task Validate_FloodOfRandomKids_AtMostOneJwksFetchPerInterval()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o =>
        {
            o.Jwks.MinRefreshInterval = TimeSpan.FromMinutes(5);
            o.Limits.ClientBurst = 100_000;
        });
        var now = DateTimeOffset.UtcNow;
        using (var first = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(now, ["DomainAdministrator"], ["domain1"])))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // the first token fetched the keys once
        }
        var fetchesBefore = issuer.JwksFetches;

        var flood = Enumerable.Range(0, 300).Select(async i =>
        {
            using var r = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.SignRs256(issuer.Claims(now, ["DomainAdministrator"], ["domain1"]), kid: $"random-{i}-{Guid.NewGuid():N}"));
            return r.StatusCode;
        });
        var statuses = await Task.WhenAll(flood).Within("sending 300 tokens with random kids");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(1, fetchesBefore);
        Assert.True(issuer.JwksFetches - fetchesBefore <= 1, $"{issuer.JwksFetches - fetchesBefore} JWKS fetches for 300 random kids");
        Assert.Equal(1, broker.Hits);
    }

    [Fact]
    public async Task Validate_KeyRotatedMidTest_NewKeyAcceptedWithoutRestart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.Jwks.MinRefreshInterval = TimeSpan.FromSeconds(10);
        }, time);
        using (var before = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(time.GetUtcNow(), ["DomainAdministrator"], ["domain1"])))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var (kid, key) = issuer.RotateRsa();
        var rotated = issuer.SignRs256(issuer.Claims(time.GetUtcNow(), ["DomainAdministrator"], ["domain1"]), kid, key);
        using (var tooSoon = await gateway.GetAsync("ngsi-ld/v1/entities", rotated))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tooSoon.StatusCode); // within the refresh interval: no refetch yet
        }
        time.Advance(TimeSpan.FromSeconds(11));
        using var after = await gateway.GetAsync("ngsi-ld/v1/entities", rotated);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, issuer.JwksFetches);
        key.Dispose();
    }

    [Fact]
    public async Task Validate_TwoIssuersAndExplicitJwksUri_BothAccepted()
    {
        await using var iam = await TestIssuer.StartAsync();
        await using var other = await TestIssuer.StartAsync("realms/second/");
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = iam.Issuer });
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = other.Issuer, JwksUri = new Uri(other.BaseUrl, "jwks") });
            o.Broker.Destinations.Add(broker.Url);
        });
        var now = DateTimeOffset.UtcNow;

        using var a = await gateway.GetAsync("ngsi-ld/v1/entities", iam.Token(now, ["ServiceDeveloper"], ["domain1"]));
        using var b = await gateway.GetAsync("ngsi-ld/v1/entities", other.Token(now, ["ServiceDeveloper"], ["domain1"]));
        // A token of one issuer signed with the other issuer's key id fails.
        using var mixed = await gateway.GetAsync("ngsi-ld/v1/entities", other.SignRs256(iam.Claims(now, ["ServiceDeveloper"], ["domain1"]), kid: other.RsaKid));

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, mixed.StatusCode);
        Assert.Equal(2, broker.Hits);
    }

    [Fact]
    public async Task Validate_KeycloakShapedToken_RolesMappedFromRealmAndClientAccess()
    {
        await using var keycloak = await TestIssuer.StartAsync("realms/aeros");
        await using var broker = await TestBackend.StartAsync("broker");
        await using var hlo = await TestBackend.StartAsync("hlo");
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            var issuer = new TrustedIssuerOptions { Issuer = keycloak.Issuer, Kind = IssuerKinds.Keycloak, Audience = "aeros-gateway", DomainsClaim = "aeros_domains" };
            issuer.RoleClients.Add("aeros-portal");
            issuer.RoleMap["aeros-viewer"] = "ServiceDeveloper";
            issuer.RoleMap["deployer"] = "ServiceDeployer";
            o.Issuers.Add(issuer);
            o.Broker.Destinations.Add(broker.Url);
            o.Hlo.Destinations.Add(hlo.Url);
        });
        var now = DateTimeOffset.UtcNow;
        JsonObject Claims(JsonObject realm, JsonObject resources) => new()
        {
            ["iss"] = keycloak.Issuer,
            ["aud"] = new JsonArray("account", "aeros-gateway"),
            ["sub"] = "f3c1-user",
            ["azp"] = "aeros-portal",
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["realm_access"] = realm,
            ["resource_access"] = resources,
            ["aeros_domains"] = "domain1 domain2",
        };
        var viewer = keycloak.SignRs256(Claims(new JsonObject { ["roles"] = new JsonArray("aeros-viewer", "offline_access") }, new JsonObject()));
        var deployer = keycloak.SignRs256(Claims(new JsonObject { ["roles"] = new JsonArray("offline_access") },
            new JsonObject { ["aeros-portal"] = new JsonObject { ["roles"] = new JsonArray("deployer") } }));
        var unmapped = keycloak.SignRs256(Claims(new JsonObject { ["roles"] = new JsonArray("ContinuumAdministrator") }, new JsonObject()));

        using var viewerRead = await gateway.GetAsync("ngsi-ld/v1/entities", viewer);
        using var viewerWrite = await gateway.SendAsync(HttpMethod.Post, "hlo/v1/services/x", viewer, new StringContent("a: b"));
        using var deployerWrite = await gateway.SendAsync(HttpMethod.Post, "hlo/v1/services/x", deployer, new StringContent("a: b"));
        using var unmappedRead = await gateway.GetAsync("ngsi-ld/v1/entities", unmapped);

        Assert.Equal(HttpStatusCode.OK, viewerRead.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, viewerWrite.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deployerWrite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unmappedRead.StatusCode); // a realm role not in the map grants nothing
        Assert.Equal(1, broker.Hits);
        Assert.Equal(1, hlo.Hits);
    }
}
