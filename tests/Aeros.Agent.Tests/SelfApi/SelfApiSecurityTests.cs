using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Tests.SelfApi;

/// <summary>
/// The self-API with <c>Agent:Security:Issuer</c>: tokens checked by the shared validator, roles by the policy (API
/// <c>ie</c>), on both servers (<see cref="AgentHostKind"/>).
/// </summary>
public abstract class SelfApiSecurityTests
{
    /// <summary>The server under test.</summary>
    protected abstract AgentHostKind Host { get; }

    [Fact]
    public async Task SelfApi_NoOrBadToken_401WithProblem()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);

        using var none = await agent.Http.GetAsync("self/v1/info").Within("GET info without a token");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", Assert.Single(none.Headers.WwwAuthenticate).Scheme);

        using var forged = await SendAsync(agent, HttpMethod.Get, "self/v1/info", TestIssuer.Forge(issuer.Issuer, ["ContinuumAdministrator"], ["*"]));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Contains("invalid_token", forged.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var expired = await SendAsync(agent, HttpMethod.Get, "self/v1/info", issuer.Token(["DomainAdministrator"], ["test"], lifetime: TimeSpan.FromMinutes(-5)));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task SelfApi_RolesAndDomains_PolicyDecides403Or200()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);

        using var admin = await SendAsync(agent, HttpMethod.Get, "self/v1/info", issuer.Token(["DomainAdministrator"], ["test"]));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var llo = await SendAsync(agent, HttpMethod.Get, "self/v1/workloads", issuer.Token(["Hlo"], ["*"]));
        Assert.Equal(HttpStatusCode.OK, llo.StatusCode);
        using var reader = await SendAsync(agent, HttpMethod.Get, "self/v1/config", issuer.Token(["ServiceDeveloper"], ["test"]));
        Assert.Equal(HttpStatusCode.OK, reader.StatusCode);

        // Read-only role writing, another domain's administrator, a machine role without "ie": refused.
        using var write = await SendAsync(agent, HttpMethod.Put, "self/v1/config", issuer.Token(["ServiceDeveloper"], ["test"]), "{}");
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
        using var otherDomain = await SendAsync(agent, HttpMethod.Get, "self/v1/info", issuer.Token(["DomainAdministrator"], ["elsewhere"]));
        Assert.Equal(HttpStatusCode.Forbidden, otherDomain.StatusCode);
        using var agentRole = await SendAsync(agent, HttpMethod.Get, "self/v1/info", issuer.Token(["Agent"], ["test"]));
        Assert.Equal(HttpStatusCode.Forbidden, agentRole.StatusCode);
    }

    [Fact]
    public async Task SelfApi_HealthOpenApiAndMetrics_OpenWithoutToken()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);
        foreach (var path in new[] { "self/v1/health", "self/v1/openapi.json", "metrics" })
        {
            using var response = await agent.Http.GetAsync(path).Within($"GET {path}");
            // Open means no token check: health may still answer 503 before the agent's first sample.
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{path}: {(int)response.StatusCode}");
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task SelfApi_NoIssuerConfigured_NoTokenNeeded()
    {
        await using var agent = await AgentServer.StartAsync(Host);
        using var response = await agent.Http.GetAsync("self/v1/info").Within("GET info");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("SELF/V1/info")]
    [InlineData("Self/v1/workloads")]
    [InlineData("self/v1/info/")]
    public async Task SelfApi_OtherPathSpellings_401WithoutToken(string path)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);
        using var response = await agent.Http.GetAsync(new Uri(agent.Http.BaseAddress!, "/" + path)).Within($"GET /{path}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("self/v1/unknown")]
    [InlineData("nothing-here")]
    public async Task SelfApi_UnknownPaths_NothingServedWithoutToken(string path)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);
        using var response = await agent.Http.GetAsync(new Uri(agent.Http.BaseAddress!, "/" + path)).Within($"GET /{path}");
        // The own server checks the token before routing (401); Kestrel routes first (404): neither serves anything.
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
    }

    [Theory]
    [InlineData("//self/v1/info")]
    [InlineData("/self/v1//workloads")]
    [InlineData("//SELF/v1/config")]
    public async Task SelfApi_DoubledSlashes_NeverServedWithoutToken(string target)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var agent = await AgentServer.StartAsync(Host, o => o.Security.Issuer = issuer.Issuer);
        // A raw request line: HttpClient would read "//self" as a host name.
        var origin = agent.Http.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(origin.Host, origin.Port).Within("connecting");
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {origin.Authority}\r\nConnection: close\r\n\r\n")).AsTask().Within("sending");
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().Within("reading the status line") ?? "";
        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(status is 401 or 404 or 400, $"{target}: {statusLine}");
    }

    [Fact]
    public void Validate_BadSecurityOptions_ListsEveryError()
    {
        var errors = new AgentSecurityOptions { Issuer = "not a url", Audience = " ", ClockSkew = TimeSpan.FromHours(1), PolicyFile = "/nonexistent/policy.yaml" }.Validate();
        Assert.Equal(4, errors.Count);
    }

    private static Task<HttpResponseMessage> SendAsync(AgentServer agent, HttpMethod method, string path, string token, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return agent.Http.SendAsync(request).Within($"{method} {path}");
    }

    /// <summary>An OIDC issuer on loopback: discovery and JWKS with one RSA key, and RS256 access tokens like the IAM's.</summary>
    private sealed class TestIssuer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RSA _key;

        private TestIssuer(WebApplication app, RSA key, string issuer)
        {
            _app = app;
            _key = key;
            Issuer = issuer;
        }

        public string Issuer { get; }

        public static async Task<TestIssuer> StartAsync()
        {
            var key = RSA.Create(2048);
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            string? issuer = null;
            app.MapGet("/iam/.well-known/openid-configuration", () => Results.Json(new JsonObject { ["issuer"] = issuer, ["jwks_uri"] = issuer + ".well-known/jwks" }));
            app.MapGet("/iam/.well-known/jwks", () =>
            {
                var p = key.ExportParameters(false);
                return Results.Json(new JsonObject
                {
                    ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = "k1", ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent) }),
                });
            });
            await app.StartAsync().Within("starting the test issuer");
            issuer = app.Urls.First().TrimEnd('/') + "/iam/";
            return new TestIssuer(app, key, issuer);
        }

        public string Token(string[] roles, string[] domains, TimeSpan? lifetime = null) => Sign(_key, Issuer, roles, domains, lifetime ?? TimeSpan.FromMinutes(5));

        /// <summary>A token signed by a key the issuer never published (same kid).</summary>
        public static string Forge(string issuer, string[] roles, string[] domains)
        {
            using var other = RSA.Create(2048);
            return Sign(other, issuer, roles, domains, TimeSpan.FromMinutes(5));
        }

        private static string Sign(RSA key, string issuer, string[] roles, string[] domains, TimeSpan lifetime)
        {
            var now = DateTimeOffset.UtcNow;
            var header = new JsonObject { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt" };
            var payload = new JsonObject
            {
                ["iss"] = issuer,
                ["aud"] = "aeros",
                ["sub"] = "tester",
                ["client_id"] = "tester",
                ["iat"] = now.ToUnixTimeSeconds(),
                ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
                ["roles"] = new JsonArray(roles.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
                ["domains"] = new JsonArray(domains.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            };
            var signed = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
            return signed + "." + Base64Url.EncodeToString(key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _app.StopAsync().Within("stopping the test issuer");
            }
            finally
            {
                await _app.DisposeAsync();
                _key.Dispose();
            }
        }
    }
}

/// <summary>Token checks on Kestrel (<c>aeros agent</c>).</summary>
public sealed class SelfApiSecurityOnKestrelTests : SelfApiSecurityTests
{
    protected override AgentHostKind Host => AgentHostKind.Kestrel;
}

/// <summary>Token checks on the agent's own HTTP/1.1 server (<c>aeros-agent</c>).</summary>
public sealed class SelfApiSecurityOnOwnServerTests : SelfApiSecurityTests
{
    protected override AgentHostKind Host => AgentHostKind.Own;
}
