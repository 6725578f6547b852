using System.Net;
using System.Text.Json.Nodes;
using Aeros.Iam.Tests.TestSupport;
using Microsoft.AspNetCore.WebUtilities;

namespace Aeros.Iam.Tests.Tokens;

public sealed class AuthorizationCodeTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Authorize_LoginAndPkce_IssuesUserTokensAndRefreshRotates()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        await CodeFlow.SetUpAsync(iam, admin, "alice", Password, "portal", isPublic: true);
        var (verifier, challenge) = CodeFlow.NewPkce();
        var parameters = CodeFlow.AuthorizeParameters("portal", challenge);

        var page = await iam.Http.GetAsync(QueryHelpers.AddQueryString("iam/connect/authorize", parameters!)).Within("opening the login form");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("name=\"aeros_password\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"code_challenge\"", html, StringComparison.Ordinal);

        var redirect = await CodeFlow.SignInAsync(iam, parameters, "alice", Password);
        Assert.Equal("xyz", redirect["state"]);
        var (status, tokens) = await CodeFlow.RedeemAsync(iam, "portal", null, redirect["code"], verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        var payload = Jwt.Payload((string)tokens["access_token"]!);
        Assert.Equal("alice", (string)payload["sub"]!);
        Assert.Equal("portal", (string)payload["client_id"]!);
        Assert.Equal(["DomainAdministrator"], payload["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["domain1"], payload["domains"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.NotNull(tokens["id_token"]);
        var refresh = (string)tokens["refresh_token"]!;

        var (refreshed, again) = await CodeFlow.RefreshAsync(iam, "portal", null, refresh);
        Assert.True(refreshed == HttpStatusCode.OK, again.ToJsonString());
        Assert.Equal("alice", (string)Jwt.Payload((string)again["access_token"]!)["sub"]!);
        Assert.NotEqual(refresh, (string)again["refresh_token"]!);
    }

    [Fact]
    public async Task Authorize_WrongPassword_ShowsFormAgainWith401()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        await CodeFlow.SetUpAsync(iam, admin, "alice", Password, "portal", isPublic: true);
        var (_, challenge) = CodeFlow.NewPkce();
        var form = new Dictionary<string, string>(CodeFlow.AuthorizeParameters("portal", challenge))
        {
            ["aeros_username"] = "alice",
            ["aeros_password"] = "wrong password!",
        };
        using var response = await iam.PostFormAsync("iam/connect/authorize", form, iam.NoRedirects);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Unknown user or wrong password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_NoCodeChallenge_RejectedBeforeLogin()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        await CodeFlow.SetUpAsync(iam, admin, "alice", Password, "portal", isPublic: true);
        var parameters = CodeFlow.AuthorizeParameters("portal", challenge: null);
        using var response = await iam.NoRedirects.GetAsync(QueryHelpers.AddQueryString("iam/connect/authorize", parameters!)).Within("authorize without PKCE");
        // An OAuth error (here answered directly, not through the redirect URI), never the login form.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("invalid_request", text, StringComparison.Ordinal);
        Assert.Contains("code_challenge", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aeros_password", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WrongOrMissingVerifier_InvalidGrantAndCodeUnusable()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        await CodeFlow.SetUpAsync(iam, admin, "alice", Password, "portal", isPublic: true);
        var (verifier, challenge) = CodeFlow.NewPkce();
        var parameters = CodeFlow.AuthorizeParameters("portal", challenge);

        var first = await CodeFlow.SignInAsync(iam, parameters, "alice", Password);
        var (missing, missingBody) = await CodeFlow.RedeemAsync(iam, "portal", null, first["code"], verifier: null);
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Contains((string)missingBody["error"]!, new[] { "invalid_request", "invalid_grant" });

        var second = await CodeFlow.SignInAsync(iam, parameters, "alice", Password);
        var (wrong, wrongBody) = await CodeFlow.RedeemAsync(iam, "portal", null, second["code"], CodeFlow.NewPkce().Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, wrong);
        Assert.Equal("invalid_grant", (string)wrongBody["error"]!);
        // The right verifier redeems the code, once.
        var (right, rightBody) = await CodeFlow.RedeemAsync(iam, "portal", null, second["code"], verifier);
        Assert.True(right == HttpStatusCode.OK, rightBody.ToJsonString());
        var (reuse, reuseBody) = await CodeFlow.RedeemAsync(iam, "portal", null, second["code"], verifier);
        Assert.Equal(HttpStatusCode.BadRequest, reuse);
        Assert.Equal("invalid_grant", (string)reuseBody["error"]!);
    }

    [Fact]
    public async Task IntrospectAndRevoke_RefreshToken_ActiveThenInactiveAndRefreshRefused()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await CodeFlow.SetUpAsync(iam, admin, "bob", Password, "cli", isPublic: false, role: "ServiceDeployer", domain: "domain2");
        var (verifier, challenge) = CodeFlow.NewPkce();
        var redirect = await CodeFlow.SignInAsync(iam, CodeFlow.AuthorizeParameters("cli", challenge), "bob", Password);
        var (status, tokens) = await CodeFlow.RedeemAsync(iam, "cli", secret, redirect["code"], verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        var refresh = (string)tokens["refresh_token"]!;
        var access = (string)tokens["access_token"]!;

        var active = await IntrospectAsync(iam, "cli", secret!, refresh);
        Assert.True((bool)active["active"]!, active.ToJsonString());
        Assert.Equal("bob", (string)active["sub"]!);
        var accessInfo = await IntrospectAsync(iam, "cli", secret!, access);
        Assert.True((bool)accessInfo["active"]!, accessInfo.ToJsonString());

        using (var revoked = await iam.PostFormAsync("iam/connect/revoke", new()
        {
            ["client_id"] = "cli",
            ["client_secret"] = secret!,
            ["token"] = refresh,
            ["token_type_hint"] = "refresh_token",
        }))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }
        var inactive = await IntrospectAsync(iam, "cli", secret!, refresh);
        Assert.False((bool)inactive["active"]!, inactive.ToJsonString());
        var (refused, body) = await CodeFlow.RefreshAsync(iam, "cli", secret, refresh);
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("invalid_grant", (string)body["error"]!);
    }

    [Fact]
    public async Task Introspect_ClientCredentialToken_ActiveWithClaims()
    {
        await using var iam = await IamServer.StartAsync();
        var token = await iam.AdminTokenAsync();
        var info = await IntrospectAsync(iam, iam.AdminClientId, iam.AdminSecret, token);
        Assert.True((bool)info["active"]!, info.ToJsonString());
        Assert.Equal(iam.AdminClientId, (string)info["client_id"]!);
        var garbage = await IntrospectAsync(iam, iam.AdminClientId, iam.AdminSecret, "not.a.token");
        Assert.False((bool)garbage["active"]!);
    }

    private static async Task<JsonObject> IntrospectAsync(IamServer iam, string clientId, string secret, string token)
    {
        using var response = await iam.PostFormAsync("iam/connect/introspect", new()
        {
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["token"] = token,
        });
        var text = await response.Content.ReadAsStringAsync().Within("reading the introspection");
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }
}
