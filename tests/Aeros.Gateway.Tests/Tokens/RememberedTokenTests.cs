using System.Net;
using Aeros.Gateway.Tests.TestSupport;
using Aeros.Security.Tokens;
using Aeros.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Gateway.Tests.Tokens;

/// <summary>
/// The validated-token memory of the hot path: a repeated token skips parsing and the signature check, but never the
/// checks that depend on time or on the issuer's published keys.
/// </summary>
public sealed class RememberedTokenTests
{
    private static readonly string[] Admin = ["DomainAdministrator"];
    private static readonly string[] Domain1 = ["domain1"];

    [Fact]
    public async Task Get_RememberedTokenPastExpiry_Rejected()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartAsync(issuer, broker, time);
        var claims = issuer.Claims(time.GetUtcNow(), Admin, Domain1);
        claims["exp"] = time.GetUtcNow().AddMinutes(2).ToUnixTimeSeconds();
        var token = issuer.SignRs256(claims);

        using (var first = await gateway.GetAsync("ngsi-ld/v1/entities", token))
        using (var second = await gateway.GetAsync("ngsi-ld/v1/entities", token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        time.Advance(TimeSpan.FromMinutes(2) + GatewayOptions.DefaultClockSkew + TimeSpan.FromSeconds(1));
        using var expired = await gateway.GetAsync("ngsi-ld/v1/entities", token);

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(2, broker.Hits);
    }

    [Fact]
    public async Task Recall_ValidatedTokenAsSpanOfLargerString_SamePrincipalUntilExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartAsync(issuer, broker, time);
        var validator = gateway.App.Services.GetRequiredService<JwtValidator>();
        var token = issuer.Token(time.GetUtcNow(), Admin, Domain1);
        var header = "Bearer " + token;

        Assert.Null(validator.Recall(header.AsSpan(7))); // never validated: the caller must validate it
        var validation = await validator.ValidateAsync(token, CancellationToken.None).AsTask().Within("validating the token");
        var principal = Assert.IsType<TokenPrincipal>(validation.Principal);
        Assert.Same(principal, validator.Recall(header.AsSpan(7)));
        Assert.Null(validator.Recall(header.AsSpan(7, token.Length - 1))); // a prefix is another token

        time.Advance(TimeSpan.FromMinutes(5) + GatewayOptions.DefaultClockSkew);
        Assert.Null(validator.Recall(header.AsSpan(7)));
        var again = await validator.ValidateAsync(token, CancellationToken.None).AsTask().Within("validating the expired token");
        Assert.Null(again.Principal);
        Assert.Equal("The token has expired.", again.Error);
    }

    [Fact]
    public async Task Get_RejectedByGateway_NoServerHeader()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartAsync(issuer, broker, TimeProvider.System);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(response.Headers.Server);
        Assert.Equal(0, broker.Hits);
    }

    private static Task<GatewayUnderTest> StartAsync(TestIssuer issuer, TestBackend broker, TimeProvider time) =>
        GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
        }, time);
}
