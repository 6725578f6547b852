using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Gateway;
using Aeros.Iam.Storage;
using Aeros.Iam.Tests.TestSupport;
using Aeros.Iam.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.EntityFrameworkCore.Models;

namespace Aeros.Iam.Tests.Tokens;

/// <summary>The client-credential fast path issues OpenIddict's token and leaves every other answer to OpenIddict.</summary>
public sealed class ClientCredentialsFastPathTests
{
    [Fact]
    public async Task Token_SecretVerifiedBefore_FastPathIssuesOpenIddictsToken()
    {
        await using var iam = await IamServer.StartAsync();
        var state = iam.Services.GetRequiredService<FastPathState>();
        var form = Form(iam.AdminClientId, iam.AdminSecret);

        // The first request verifies the secret with the KDF: OpenIddict answers it.
        var slow = await TokenAsync(iam, form);
        Assert.Equal(0, state.Issued);
        var fast = await TokenAsync(iam, form);
        Assert.Equal(1, state.Issued);

        Assert.Equal(HttpStatusCode.OK, slow.Status);
        Assert.Equal(HttpStatusCode.OK, fast.Status);
        Assert.Equal(slow.ContentType, fast.ContentType);
        Assert.Equal(slow.CacheControl, fast.CacheControl);
        Assert.Equal(slow.Pragma, fast.Pragma);
        Assert.Equal(slow.Expires, fast.Expires);
        Assert.True(Keys(slow.Body).SequenceEqual(Keys(fast.Body)), $"answers differ:\n{slow.Body.ToJsonString()}\n{fast.Body.ToJsonString()}");
        Assert.Equal((string)slow.Body["token_type"]!, (string)fast.Body["token_type"]!);
        // Both say the seconds left when the answer is written (600 s lifetime less the time spent), truncated.
        Assert.InRange((long)slow.Body["expires_in"]!, 590, 600);
        Assert.InRange((long)fast.Body["expires_in"]!, 590, 600);

        var slowToken = (string)slow.Body["access_token"]!;
        var fastToken = (string)fast.Body["access_token"]!;
        Assert.True(JsonNode.DeepEquals(Jwt.Header(slowToken), Jwt.Header(fastToken)), $"headers differ: {Jwt.Header(slowToken)} vs {Jwt.Header(fastToken)}");
        var slowPayload = Jwt.Payload(slowToken);
        var fastPayload = Jwt.Payload(fastToken);
        Assert.True(Keys(slowPayload).SequenceEqual(Keys(fastPayload)), $"claims differ:\n{slowPayload.ToJsonString()}\n{fastPayload.ToJsonString()}");
        foreach (var (name, value) in slowPayload)
        {
            if (name is not ("jti" or "iat" or "nbf" or "exp"))
            {
                Assert.True(JsonNode.DeepEquals(value, fastPayload[name]), $"claim {name}: {value?.ToJsonString()} vs {fastPayload[name]?.ToJsonString()}");
            }
        }
        Assert.Equal(Lifetime(slowPayload), Lifetime(fastPayload));
        Assert.NotEqual((string?)slowPayload["jti"], (string?)fastPayload["jti"]);

        var issuer = new Uri(iam.BaseUrl, "iam/").AbsoluteUri;
        var jwks = await Jwt.FetchJwksAsync(iam.Http);
        var result = await Jwt.ValidateAsync(fastToken, jwks, issuer);
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Token_ClientSecretBasic_FastPathIssuesClientsRoles()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "agent-ie1", "Agent", "domain1");
        var state = iam.Services.GetRequiredService<FastPathState>();

        var first = await TokenAsync(iam, Form(null, null), Basic("agent-ie1", secret));
        var before = state.Issued;
        var second = await TokenAsync(iam, Form(null, null), Basic("agent-ie1", secret));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(before + 1, state.Issued);
        var payload = Jwt.Payload((string)second.Body["access_token"]!);
        Assert.Equal("agent-ie1", (string)payload["sub"]!);
        Assert.Equal("agent-ie1", (string)payload["client_id"]!);
        Assert.Equal(["Agent"], payload["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["domain1"], payload["domains"]!.AsArray().Select(d => (string)d!).ToArray());

        var wrong = await TokenAsync(iam, Form(null, null), Basic("agent-ie1", "not-the-secret-of-agent-ie1"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("invalid_client", (string)wrong.Body["error"]!);
        Assert.Equal(before + 1, state.Issued);
    }

    [Fact]
    public async Task Token_AdminChanges_NextTokenFollowsThemAtOnce()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "hlo-domain1", "Hlo", "domain1");
        var state = iam.Services.GetRequiredService<FastPathState>();
        await TokenAsync(iam, Form("hlo-domain1", secret));

        using (var assigned = await iam.AdminAsync(HttpMethod.Post, "assignments", admin, new { client = "hlo-domain1", role = "ServiceDeployer", domain = "domain2" }))
        {
            Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
        }
        var before = state.Issued;
        var afterAssign = Jwt.Payload((string)(await iam.ClientTokenAsync("hlo-domain1", secret))["access_token"]!);
        Assert.Equal(before + 1, state.Issued);
        Assert.Equal(["ServiceDeployer", "Hlo"], afterAssign["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["domain1", "domain2"], afterAssign["domains"]!.AsArray().Select(d => (string)d!).ToArray());

        using (var removed = await iam.AdminAsync(HttpMethod.Delete, "assignments?client=hlo-domain1&role=Hlo&domain=domain1", admin))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        var afterRemove = Jwt.Payload((string)(await iam.ClientTokenAsync("hlo-domain1", secret))["access_token"]!);
        Assert.Equal(["ServiceDeployer"], afterRemove["roles"]!.AsArray().Select(r => (string)r!).ToArray());
        Assert.Equal(["domain2"], afterRemove["domains"]!.AsArray().Select(d => (string)d!).ToArray());

        // A new secret: the old one is refused at once, the new one works.
        string renewed;
        using (var reset = await iam.AdminAsync(HttpMethod.Post, "clients/hlo-domain1/secret", admin))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            renewed = (string)JsonNode.Parse(await reset.Content.ReadAsStringAsync())!["clientSecret"]!;
        }
        var old = await TokenAsync(iam, Form("hlo-domain1", secret));
        Assert.Equal(HttpStatusCode.Unauthorized, old.Status);
        Assert.Equal("invalid_client", (string)old.Body["error"]!);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(iam, Form("hlo-domain1", renewed))).Status);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(iam, Form("hlo-domain1", renewed))).Status);

        // A deleted client gets nothing more.
        using (var deleted = await iam.AdminAsync(HttpMethod.Delete, "clients/hlo-domain1", admin))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var gone = await TokenAsync(iam, Form("hlo-domain1", renewed));
        Assert.Equal(HttpStatusCode.Unauthorized, gone.Status);
        Assert.Equal("invalid_client", (string)gone.Body["error"]!);
    }

    [Fact]
    public async Task Token_ChangesBySecondIamOnSameDatabase_SeenWithinCacheLifetime()
    {
        await using var first = await IamServer.StartAsync();
        await using var second = await IamServer.StartAsync(dataDirectory: first.DataDirectory);
        var adminOnFirst = await first.AdminTokenAsync();
        var secret = await first.CreateMachineClientAsync(adminOnFirst, "broker-domain1", "ContextBroker", "domain1");
        // Warm the first IAM's caches: secret verified, client facts and roles cached.
        await first.ClientTokenAsync("broker-domain1", secret);
        await first.ClientTokenAsync("broker-domain1", secret);
        var adminOnSecond = (string)(await second.ClientTokenAsync(first.AdminClientId, first.AdminSecret))["access_token"]!;

        using (var assigned = await second.AdminAsync(HttpMethod.Post, "assignments", adminOnSecond, new { client = "broker-domain1", role = "Hlo", domain = "domain1" }))
        {
            Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
        }
        // The documented bound is IamPrincipals.CacheLifetime (5 s); the deadline is generous for a busy machine.
        await TestDeadline.Until(async () =>
        {
            var payload = Jwt.Payload((string)(await first.ClientTokenAsync("broker-domain1", secret))["access_token"]!);
            return payload["roles"]!.AsArray().Any(r => (string)r! == "Hlo");
        }, "the first IAM's token carries the role assigned through the second", deadline: TimeSpan.FromSeconds(60));

        using (var deleted = await second.AdminAsync(HttpMethod.Delete, "clients/broker-domain1", adminOnSecond))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await TestDeadline.Until(async () =>
        {
            var answer = await TokenAsync(first, Form("broker-domain1", secret));
            return answer.Status == HttpStatusCode.Unauthorized && (string?)answer.Body["error"] == "invalid_client";
        }, "the first IAM refuses the client deleted through the second", deadline: TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Token_BadOrUnusualRequests_SameAnswersWithAndWithoutFastPath()
    {
        await using var fast = await IamServer.StartAsync();
        await using var slow = await IamServer.StartAsync(o => o.ClientCredentialsFastPath = false);
        var servers = new[] { fast, slow };
        var secrets = new List<string>();
        foreach (var iam in servers)
        {
            var admin = await iam.AdminTokenAsync();
            secrets.Add(await iam.CreateMachineClientAsync(admin, "agent-ie2", "Agent", "domain1"));
            using var created = await iam.AdminAsync(HttpMethod.Post, "clients", admin, new
            {
                clientId = "portal",
                secret = "portal-secret-0123456789",
                grants = new[] { "authorization_code", "refresh_token" },
                redirectUris = new[] { "http://127.0.0.1/callback" },
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            // Verified once: from now on the fast server's fast path would answer a good request.
            await iam.ClientTokenAsync("agent-ie2", secrets[^1]);
            // Refused (no client_credentials permission), but its secret is checked and remembered first.
            Assert.NotEqual(HttpStatusCode.OK, (await TokenAsync(iam, Form("portal", "portal-secret-0123456789"))).Status);
        }
        var fastBefore = fast.Services.GetRequiredService<FastPathState>().Issued;

        var cases = new (string Name, Func<string, Dictionary<string, string>> Form, Func<string, AuthenticationHeaderValue?> Header)[]
        {
            ("wrong secret", s => Form("agent-ie2", s + "x"), _ => null),
            ("unknown client", s => Form("nobody", s), _ => null),
            ("unknown scope", s => With(Form("agent-ie2", s), "scope", "no-such-scope"), _ => null),
            ("known scope not allowed", s => With(Form("agent-ie2", s), "scope", "roles"), _ => null),
            ("unsupported grant", s => With(Form("agent-ie2", s), "grant_type", "password"), _ => null),
            ("no grant", s => Without(Form("agent-ie2", s), "grant_type"), _ => null),
            ("no secret", s => Without(Form("agent-ie2", s), "client_secret"), _ => null),
            ("basic and post together", s => Form("agent-ie2", s), s => Basic("agent-ie2", s)),
            ("basic with wrong secret", _ => Form(null, null), s => Basic("agent-ie2", s + "x")),
            ("client without client_credentials", _ => Form("portal", "portal-secret-0123456789"), _ => null),
        };
        foreach (var (name, form, header) in cases)
        {
            var answers = new List<TokenAnswer>();
            for (var i = 0; i < servers.Length; i++)
            {
                answers.Add(await TokenAsync(servers[i], form(secrets[i]), header(secrets[i])));
            }
            Assert.True(answers[0].Status == answers[1].Status, $"{name}: {answers[0].Status} with the fast path, {answers[1].Status} without");
            Assert.True((string?)answers[0].Body["error"] == (string?)answers[1].Body["error"], $"{name}: {answers[0].Body["error"]} vs {answers[1].Body["error"]}");
            Assert.NotEqual(HttpStatusCode.OK, answers[0].Status);
            Assert.NotNull((string?)answers[0].Body["error"]);
        }
        Assert.Equal(fastBefore, fast.Services.GetRequiredService<FastPathState>().Issued);
        Assert.Equal(0, slow.Services.GetRequiredService<FastPathState>().Issued);
    }

    [Fact]
    public async Task Token_AfterKeyRotation_FastPathSignsWithNewKey()
    {
        await using var iam = await IamServer.StartAsync();
        var state = iam.Services.GetRequiredService<FastPathState>();
        var admin = await iam.AdminTokenAsync();
        var oldKid = (string)Jwt.Header(await iam.AdminTokenAsync())["kid"]!;
        Assert.Equal(1, state.Issued);

        using var rotated = await iam.AdminAsync(HttpMethod.Post, "keys/rotate", admin);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newKid = (string)JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!["kid"]!;

        var token = await iam.AdminTokenAsync();
        Assert.Equal(2, state.Issued);
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(newKid, (string)Jwt.Header(token)["kid"]!);
        var result = await Jwt.ValidateAsync(token, await Jwt.FetchJwksAsync(iam.Http), new Uri(iam.BaseUrl, "iam/").AbsoluteUri);
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Token_StoreClientCredentialTokens_FastPathOffAndEntriesWritten()
    {
        await using var iam = await IamServer.StartAsync(o => o.StoreClientCredentialTokens = true);
        await iam.AdminTokenAsync();
        await iam.AdminTokenAsync();
        Assert.Equal(0, iam.Services.GetRequiredService<FastPathState>().Issued);
        await using var db = await iam.Services.GetRequiredService<IDbContextFactory<IamDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.Set<OpenIddictEntityFrameworkCoreToken>().CountAsync());
    }

    [Fact]
    public async Task Token_FastPathToken_AcceptedByGateway()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "deployer-1", "ServiceDeployer", "domain1");
        var state = iam.Services.GetRequiredService<FastPathState>();
        await iam.ClientTokenAsync("deployer-1", secret);
        var before = state.Issued;
        var token = (string)(await iam.ClientTokenAsync("deployer-1", secret))["access_token"]!;
        Assert.Equal(before + 1, state.Issued);

        await using var backend = await StartBackendAsync();
        var issuer = new Uri(iam.BaseUrl, "iam/").AbsoluteUri;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAerosGateway(o =>
        {
            o.DomainName = "domain1";
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer, JwksUri = new Uri(iam.BaseUrl, "iam/.well-known/jwks") });
            o.Broker.Destinations.Add(new Uri(backend.Urls.First().TrimEnd('/') + "/"));
        });
        await using var gateway = builder.Build();
        gateway.MapAerosGateway();
        await gateway.StartAsync().Within("starting the gateway");
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Urls.First().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(request).Within("GET through the gateway");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("backend", await response.Content.ReadAsStringAsync().Within("reading the answer"));

            // The same token with one character of its signature changed is refused: the gateway checks it.
            using var tampered = new HttpRequestMessage(HttpMethod.Get, "ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1");
            tampered.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1]);
            using var refused = await client.SendAsync(tampered).Within("GET with a tampered token");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        finally
        {
            await gateway.StopAsync().Within("stopping the gateway");
        }
    }

    private static async Task<WebApplication> StartBackendAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/ngsi-ld/v1/entities/{id}", () => Results.Text("backend"));
        await app.StartAsync().Within("starting the backend");
        return app;
    }

    private sealed record TokenAnswer(HttpStatusCode Status, JsonObject Body, string? ContentType, string? CacheControl, string? Pragma, DateTimeOffset? Expires);

    private static async Task<TokenAnswer> TokenAsync(IamServer iam, Dictionary<string, string> form, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "iam/connect/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        using var response = await iam.Http.SendAsync(request).Within("POST iam/connect/token");
        var text = await response.Content.ReadAsStringAsync().Within("reading the token answer");
        var body = JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {text}");
        return new TokenAnswer(
            response.StatusCode,
            body,
            response.Content.Headers.ContentType?.ToString(),
            response.Headers.CacheControl?.ToString(),
            string.Join(",", response.Headers.Pragma.Select(p => p.ToString())),
            response.Content.Headers.Expires);
    }

    private static Dictionary<string, string> Form(string? clientId, string? secret)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (clientId is not null)
        {
            form["client_id"] = clientId;
        }
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        return form;
    }

    private static Dictionary<string, string> With(Dictionary<string, string> form, string name, string value)
    {
        form[name] = value;
        return form;
    }

    private static Dictionary<string, string> Without(Dictionary<string, string> form, string name)
    {
        form.Remove(name);
        return form;
    }

    private static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));

    private static string[] Keys(JsonObject json) => json.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

    private static long Lifetime(JsonObject payload) => (long)payload["exp"]! - (long)payload["iat"]!;
}
