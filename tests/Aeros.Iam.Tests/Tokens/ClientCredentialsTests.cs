using System.Net;
using System.Text.Json.Nodes;
using Aeros.Iam.Storage;
using Aeros.Iam.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Iam.Tests.Tokens;

public sealed class ClientCredentialsTests
{
    [Fact]
    public async Task Token_InitialAdministrator_IssuesRs256JwtWithContractClaims()
    {
        await using var iam = await IamServer.StartAsync();
        var response = await iam.ClientTokenAsync(iam.AdminClientId, iam.AdminSecret);
        var token = (string)response["access_token"]!;
        Assert.Equal("Bearer", (string)response["token_type"]!);

        var header = Jwt.Header(token);
        Assert.Equal("RS256", (string)header["alg"]!);
        Assert.Equal("at+jwt", (string)header["typ"]!);
        var payload = Jwt.Payload(token);
        Assert.Equal(iam.AdminClientId, (string)payload["sub"]!);
        Assert.Equal(iam.AdminClientId, (string)payload["client_id"]!);
        Assert.Equal("aeros", payload["aud"] is JsonArray a ? (string)a[0]! : (string)payload["aud"]!);
        Assert.Equal(new Uri(iam.BaseUrl, "iam/").AbsoluteUri, (string)payload["iss"]!);
        Assert.Equal(["ContinuumAdministrator"], payload["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["*"], payload["domains"]!.AsArray().Select(r => (string)r!).ToArray());

        var jwks = await Jwt.FetchJwksAsync(iam.Http);
        Assert.Contains(jwks.Keys, k => k.Kid == (string)header["kid"]!);
        var result = await Jwt.ValidateAsync(token, jwks, new Uri(iam.BaseUrl, "iam/").AbsoluteUri);
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Token_MachineClientWithDomainRole_CarriesRoleAndDomainArrays()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "hlo-domain1", "Hlo", "domain1");
        var token = (string)(await iam.ClientTokenAsync("hlo-domain1", secret))["access_token"]!;
        var payload = Jwt.Payload(token);
        Assert.Equal(["Hlo"], payload["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["domain1"], payload["domains"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal("hlo-domain1", (string)payload["sub"]!);
    }

    [Fact]
    public async Task Token_ClientCredentials_WritesNoTokenEntry()
    {
        await using var iam = await IamServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await iam.AdminTokenAsync();
        }
        await using var db = await iam.Services.GetRequiredService<IDbContextFactory<IamDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().CountAsync());
    }

    [Fact]
    public async Task Token_WrongSecret_Returns401InvalidClient()
    {
        await using var iam = await IamServer.StartAsync();
        using var response = await iam.PostFormAsync("iam/connect/token", new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = iam.AdminClientId,
            ["client_secret"] = "not-the-secret-at-all",
        });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_client", (string)body["error"]!);
    }

    [Fact]
    public async Task Token_UnknownGrantType_Returns400OAuthError()
    {
        await using var iam = await IamServer.StartAsync();
        using var response = await iam.PostFormAsync("iam/connect/token", new()
        {
            ["grant_type"] = "password",
            ["client_id"] = iam.AdminClientId,
            ["client_secret"] = iam.AdminSecret,
            ["username"] = "admin",
            ["password"] = "whatever-it-is",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("unsupported_grant_type", (string)body["error"]!);
    }

    [Fact]
    public async Task Discovery_Default_PublishesEndpointsUnderIamAndS256()
    {
        await using var iam = await IamServer.StartAsync();
        var doc = JsonNode.Parse(await iam.Http.GetStringAsync("iam/.well-known/openid-configuration").Within("discovery"))!;
        var root = new Uri(iam.BaseUrl, "iam/").AbsoluteUri;
        Assert.Equal(root, (string)doc["issuer"]!);
        Assert.Equal(root + "connect/token", (string)doc["token_endpoint"]!);
        Assert.Equal(root + "connect/authorize", (string)doc["authorization_endpoint"]!);
        Assert.Equal(root + "connect/introspect", (string)doc["introspection_endpoint"]!);
        Assert.Equal(root + "connect/revoke", (string)doc["revocation_endpoint"]!);
        Assert.Equal(root + ".well-known/jwks", (string)doc["jwks_uri"]!);
        Assert.Equal(["S256"], doc["code_challenge_methods_supported"]!.AsArray().Select(m => (string)m!).ToArray());
        var grants = doc["grant_types_supported"]!.AsArray().Select(g => (string)g!).ToHashSet();
        Assert.Superset(new HashSet<string> { "client_credentials", "authorization_code", "refresh_token" }, grants);
    }
}
