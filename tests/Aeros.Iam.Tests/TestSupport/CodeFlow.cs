using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace Aeros.Iam.Tests.TestSupport;

/// <summary>Drives the authorization code flow with PKCE the way a browser and a client would.</summary>
internal static class CodeFlow
{
    public const string RedirectUri = "http://127.0.0.1:1/callback";

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return (verifier, challenge);
    }

    /// <summary>Creates a user with one role and a client for the code flow; returns the client's secret (null when public).</summary>
    public static async Task<string?> SetUpAsync(IamServer iam, string admin, string user, string password, string clientId, bool isPublic, string role = "DomainAdministrator", string domain = "domain1")
    {
        using (var created = await iam.AdminAsync(HttpMethod.Post, "users", admin, new { name = user, password }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var assigned = await iam.AdminAsync(HttpMethod.Post, "assignments", admin, new { user, role, domain }))
        {
            Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
        }
        using var client = await iam.AdminAsync(HttpMethod.Post, "clients", admin, new
        {
            clientId,
            @public = isPublic,
            grants = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { RedirectUri },
        });
        Assert.Equal(HttpStatusCode.Created, client.StatusCode);
        var body = await client.Content.ReadFromJsonAsync<JsonObject>().Within("reading the client");
        return (string?)body!["clientSecret"];
    }

    public static Dictionary<string, string> AuthorizeParameters(string clientId, string? challenge) 
    {
        var parameters = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = RedirectUri,
            ["scope"] = "openid offline_access",
            ["state"] = "xyz",
        };
        if (challenge is not null)
        {
            parameters["code_challenge"] = challenge;
            parameters["code_challenge_method"] = "S256";
        }
        return parameters;
    }

    /// <summary>Signs in through the login form and returns the redirect's query (code, state, or error).</summary>
    public static async Task<Dictionary<string, string>> SignInAsync(IamServer iam, Dictionary<string, string> parameters, string user, string password)
    {
        var form = new Dictionary<string, string>(parameters) { ["aeros_username"] = user, ["aeros_password"] = password };
        using var response = await iam.PostFormAsync("iam/connect/authorize", form, iam.NoRedirects);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"expected a redirect, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri, location.AbsoluteUri, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public static async Task<(HttpStatusCode Status, JsonObject Body)> RedeemAsync(IamServer iam, string clientId, string? secret, string code, string? verifier)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
        };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        if (verifier is not null)
        {
            form["code_verifier"] = verifier;
        }
        using var response = await iam.PostFormAsync("iam/connect/token", form);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync().Within("reading the token response"))!.AsObject());
    }

    public static async Task<(HttpStatusCode Status, JsonObject Body)> RefreshAsync(IamServer iam, string clientId, string? secret, string refreshToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = clientId,
            ["refresh_token"] = refreshToken,
        };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        using var response = await iam.PostFormAsync("iam/connect/token", form);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync().Within("reading the refresh response"))!.AsObject());
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
