using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Gateway.Tests.TestSupport;

namespace Aeros.Gateway.Tests.Tokens;

/// <summary>The attack list of issue 6: every bad token gets 401 with an invalid_token challenge and no backend call.</summary>
public sealed class TokenAttackTests
{
    public static TheoryData<string> Attacks =>
    [
        "malformed-one-part", "malformed-bad-base64", "malformed-json", "expired", "not-yet-valid", "wrong-issuer",
        "wrong-audience", "no-audience", "no-expiry", "alg-none", "hs256-with-public-key", "tampered-payload", "unknown-kid",
        "signed-by-other-key", "rs256-header-on-ec-key", "five-part-jwe",
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Request_BadToken_401InvalidTokenAndNoBackendCall(string attack)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartGatewayAsync(issuer, broker);
        var token = Forge(attack, issuer, DateTimeOffset.UtcNow);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:ngsi-ld:X:1", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal(0, broker.Hits);
    }

    [Fact]
    public async Task Request_NoToken_401WithBearerChallengeAndNoBackendCall()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartGatewayAsync(issuer, broker);

        using var none = await gateway.GetAsync("ngsi-ld/v1/entities", null);
        using var basic = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "ngsi-ld/v1/entities")
        {
            Headers = { Authorization = new("Basic", Convert.ToBase64String("a:b"u8.ToArray())) },
        }).WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var response in new[] { none, basic })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(401, (int)problem["status"]!);
        }
        Assert.Equal(0, broker.Hits);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task Request_ValidToken_ReachesBackend(string algorithm)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartGatewayAsync(issuer, broker);
        var claims = issuer.Claims(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);
        var token = algorithm == "RS256" ? issuer.SignRs256(claims) : issuer.SignEs256(claims);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities?type=T", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("/ngsi-ld/v1/entities", (string?)echo["path"]);
        Assert.Equal("?type=T", (string?)echo["query"]);
        Assert.Equal(1, broker.Hits);
    }

    [Fact]
    public async Task Request_TokenExpiredWithinClockSkew_Accepted()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartGatewayAsync(issuer, broker);
        var claims = issuer.Claims(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);
        claims["exp"] = DateTimeOffset.UtcNow.AddSeconds(-10).ToUnixTimeSeconds(); // skew is 30 s

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.SignRs256(claims));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static Task<GatewayUnderTest> StartGatewayAsync(TestIssuer issuer, TestBackend broker, Action<GatewayOptions>? more = null) =>
        GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            more?.Invoke(o);
        });

    private static string Forge(string attack, TestIssuer issuer, DateTimeOffset now)
    {
        var claims = issuer.Claims(now, ["ContinuumAdministrator"], ["*"]);
        switch (attack)
        {
            case "malformed-one-part":
                return "notatoken";
            case "malformed-bad-base64":
                return "a$b.c$d.e$f";
            case "malformed-json":
                return Base64Url.EncodeToString("{not json"u8) + "." + TestIssuer.Part(claims) + ".AAAA";
            case "expired":
                claims["exp"] = now.AddMinutes(-5).ToUnixTimeSeconds();
                return issuer.SignRs256(claims);
            case "not-yet-valid":
                claims["nbf"] = now.AddMinutes(5).ToUnixTimeSeconds();
                claims["exp"] = now.AddMinutes(10).ToUnixTimeSeconds();
                return issuer.SignRs256(claims);
            case "wrong-issuer":
                claims["iss"] = "http://127.0.0.1:1/evil/";
                return issuer.SignRs256(claims);
            case "wrong-audience":
                claims["aud"] = "someone-else";
                return issuer.SignRs256(claims);
            case "no-audience":
                claims.Remove("aud");
                return issuer.SignRs256(claims);
            case "no-expiry":
                claims.Remove("exp");
                return issuer.SignRs256(claims);
            case "alg-none":
                return TestIssuer.Part(new JsonObject { ["alg"] = "none", ["typ"] = "JWT", ["kid"] = issuer.RsaKid }) + "." + TestIssuer.Part(claims) + ".";
            case "hs256-with-public-key":
                // The classic confusion: HMAC keyed with the RSA public key the JWKS publishes.
                var publicKey = Encoding.ASCII.GetBytes(issuer.Rsa.ExportSubjectPublicKeyInfoPem());
                return TestIssuer.Sign(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = issuer.RsaKid }, claims, d => HMACSHA256.HashData(publicKey, d));
            case "tampered-payload":
                var genuine = issuer.SignRs256(issuer.Claims(now, ["ServiceDeveloper"], ["domain1"])).Split('.');
                return genuine[0] + "." + TestIssuer.Part(claims) + "." + genuine[2];
            case "unknown-kid":
                return issuer.SignRs256(claims, kid: "no-such-kid");
            case "signed-by-other-key":
                using (var other = RSA.Create(2048))
                {
                    return issuer.SignRs256(claims, kid: issuer.RsaKid, key: other);
                }
            case "rs256-header-on-ec-key":
                return TestIssuer.Sign(new JsonObject { ["alg"] = "RS256", ["kid"] = issuer.EcKid }, claims, d => issuer.Ec.SignData(d, HashAlgorithmName.SHA256));
            case "five-part-jwe":
                return "a.b.c.d.e";
            default:
                throw new ArgumentException(attack);
        }
    }
}
