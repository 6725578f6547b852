using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Broker.Distribution;
using Aeros.Continuum.Security;
using Aeros.Hosting;
using Aeros.Iam;
using Aeros.Orchestration.Federation;
using Aeros.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Tests.Security;

/// <summary>
/// Real domain hosts with security on: the gateway on the public URL, the APIs on the internal loopback URL, the
/// continuum's IAM embedded in the first domain, and the token plumbing with real tokens from that IAM.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SecureDomainHostTests
{
    private const string AdminSecret = "test-admin-secret-0123456789abcdef";

    [Fact]
    public async Task PublicUrl_WithoutToken_401AndWithToken_Served()
    {
        await using var domain = await SecureDomain.StartAsync("sec1", embeddedIam: true);
        using var anonymous = new HttpClient { BaseAddress = domain.PublicUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var refused = await anonymous.GetAsync("ngsi-ld/v1/entities/urn:ngsi-ld:Domain:sec1").Within("GET without a token");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        using var admin = domain.AdminClient();
        await TestDeadline.Until(async () =>
        {
            using var response = await admin.GetAsync("ngsi-ld/v1/entities/urn:ngsi-ld:Domain:sec1");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the Domain entity is served through the gateway with a token", TimeSpan.FromSeconds(60));
        // The APIs themselves listen on loopback behind the gateway, on another port.
        Assert.DoesNotContain(domain.App.Urls, u => u.TrimEnd('/') == domain.PublicUrl.AbsoluteUri.TrimEnd('/'));
    }

    [Fact]
    public async Task LloAgentClient_DomainToken_OnlyToConfiguredAgentUrls()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await using var listed = await HeaderRecorder.StartAsync("listed", seen);
        await using var unlisted = await HeaderRecorder.StartAsync("unlisted", seen);
        await using var domain = await SecureDomain.StartAsync("sec9", embeddedIam: true, agentUrls: [listed.Url]);
        var http = domain.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Aeros.Orchestration.Llo.LloServiceCollectionExtensions.AgentHttpClientName);

        using (await http.GetAsync(new Uri(listed.Url, "self/v1/workloads")).WaitAsync(TimeSpan.FromSeconds(60))) { }
        // An agent URL read from the broker (selfApiUrl) that is not configured: no token.
        using (await http.GetAsync(new Uri(unlisted.Url, "self/v1/workloads")).WaitAsync(TimeSpan.FromSeconds(60))) { }

        Assert.StartsWith("Bearer ", seen["listed"], StringComparison.Ordinal);
        Assert.Equal("", seen["unlisted"]);
    }

    /// <summary>A loopback server that records the Authorization header it received under its name.</summary>
    private sealed class HeaderRecorder : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HeaderRecorder(WebApplication app) => _app = app;

        public Uri Url => new(_app.Urls.First().TrimEnd('/') + "/");

        public static async Task<HeaderRecorder> StartAsync(string name, System.Collections.Concurrent.ConcurrentDictionary<string, string> seen)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.Run(http =>
            {
                seen[name] = http.Request.Headers.Authorization.ToString();
                return http.Response.WriteAsync("{\"workloads\":[]}");
            });
            await app.StartAsync().Within($"starting {name}");
            return new HeaderRecorder(app);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _app.StopAsync().Within("stopping a recorder");
            }
            finally
            {
                await _app.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AgentCredential_RealIamToken_WritesThroughGateway()
    {
        await using var domain = await SecureDomain.StartAsync("sec2", embeddedIam: true);
        var secret = await domain.CreateClientAsync("sec2-ie1", (IamRoles.Agent, "sec2"));
        using var tokens = new ClientCredentialsTokenSource(new ClientCredentialsOptions
        {
            TokenUrl = new Uri(domain.PublicUrl, "iam/connect/token"),
            ClientId = "sec2-ie1",
            ClientSecret = secret,
        });
        using var agent = new HttpClient(new BearerTokenHandler(tokens, new SocketsHttpHandler())) { BaseAddress = domain.PublicUrl, Timeout = TimeSpan.FromSeconds(30) };

        var entity = """{"id":"urn:ngsi-ld:InfrastructureElement:sec2:ie1","type":"InfrastructureElement"}""";
        using var created = await agent.PostAsync("ngsi-ld/v1/entities", new StringContent(entity, Encoding.UTF8, "application/json")).Within("agent creates its IE");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var read = await agent.GetAsync("ngsi-ld/v1/entities/urn:ngsi-ld:InfrastructureElement:sec2:ie1").Within("agent reads its IE");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        // The agent role may not hand services around: the gateway's policy still applies to a valid token.
        using var forbidden = await agent.DeleteAsync("ngsi-ld/v1/entities/urn:ngsi-ld:InfrastructureElement:sec2:ie1").Within("agent deletes");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(1, tokens.FetchCount);
    }

    [Fact]
    public async Task AgentCredential_WrongSecret_FailsWithClearError()
    {
        await using var domain = await SecureDomain.StartAsync("sec3", embeddedIam: true);
        await domain.CreateClientAsync("sec3-ie1", (IamRoles.Agent, "sec3"));
        using var tokens = new ClientCredentialsTokenSource(new ClientCredentialsOptions
        {
            TokenUrl = new Uri(domain.PublicUrl, "iam/connect/token"),
            ClientId = "sec3-ie1",
            ClientSecret = "not-the-secret-at-all",
        });

        var e = await Assert.ThrowsAsync<AccessTokenException>(() => tokens.GetAccessTokenAsync(CancellationToken.None).AsTask()).Within("token with a wrong secret");

        Assert.Contains("invalid_client", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret-at-all", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoSecureDomains_FederateAndQueryEachOtherWithTheirOwnTokens()
    {
        // secA learns secB only when secB joins: its token goes to secB because secB's URL is one of secA's continuum URLs.
        var secondUrl = new Uri($"http://127.0.0.1:{AerosProcess.FreePort()}/");
        await using var first = await SecureDomain.StartAsync("secA", embeddedIam: true, continuumUrls: [secondUrl]);
        await first.CreateClientAsync("secB-host", (IamRoles.Hlo, IamClaims.AllDomains), (IamRoles.ContextBroker, IamClaims.AllDomains));
        await using var second = await SecureDomain.StartAsync("secB", embeddedIam: false, issuerOf: first, peer: first, url: secondUrl);
        Assert.Equal([Origin(first.PublicUrl), Origin(secondUrl)], first.TokenRecipients);
        Assert.Equal([Origin(secondUrl), Origin(first.PublicUrl)], second.TokenRecipients);
        using var admin = first.AdminClient();
        using var adminOfSecond = second.AdminClient(first);

        // Full IRIs: the federation registrations name the aerOS types expanded.
        var ie = $$"""{"id":"urn:ngsi-ld:InfrastructureElement:secB:ie1","type":"{{ContinuumTerms.InfrastructureElement}}"}""";
        using (var created = await adminOfSecond.PostAsync("ngsi-ld/v1/entities", new StringContent(ie, Encoding.UTF8, "application/json")).Within("creating an IE in secB"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // secA's federator (its token) and secB's (its own) register each other; secA's broker forwards the query to
        // secB's gateway with secA's token.
        await TestDeadline.Until(async () =>
        {
            using var response = await admin.GetAsync("ngsi-ld/v1/entities?limit=100&type=" + Uri.EscapeDataString(ContinuumTerms.InfrastructureElement));
            return response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("urn:ngsi-ld:InfrastructureElement:secB:ie1", StringComparison.Ordinal);
        }, "secA sees secB's IE through federation", TimeSpan.FromSeconds(120), async () =>
        {
            using var state = await admin.GetAsync("federation/v1/domains");
            return $"secA federation: {(int)state.StatusCode} {await state.Content.ReadAsStringAsync()}";
        });
    }

    private static string Origin(Uri url) => TokenRecipients.OriginOf(url)!;

    /// <summary>A secured domain host in this process (IAM embedded or trusting another's), disposed with its data.</summary>
    private sealed class SecureDomain : IAsyncDisposable
    {
        private SecureDomain(WebApplication app, Uri publicUrl, string data, Uri issuer)
        {
            App = app;
            PublicUrl = publicUrl;
            Data = data;
            Issuer = issuer;
        }

        public WebApplication App { get; }

        public Uri PublicUrl { get; }

        public Uri Issuer { get; }

        private string Data { get; }

        /// <summary>The origins the domain's broker sends its token to (its own URL, its peers, its continuum URLs), in that order.</summary>
        public IReadOnlyList<string> TokenRecipients => [.. App.Services.GetRequiredService<IOptions<DistributionOptions>>().Value.TokenRecipients
            .Select(u => global::Aeros.Security.TokenRecipients.OriginOf(u)!).Distinct()];

        public static async Task<SecureDomain> StartAsync(string name, bool embeddedIam, SecureDomain? issuerOf = null, SecureDomain? peer = null,
            Uri? url = null, IReadOnlyList<Uri>? continuumUrls = null, IReadOnlyList<Uri>? agentUrls = null)
        {
            var data = Path.Combine(Path.GetTempPath(), "aeros-sec-" + name + "-" + Guid.NewGuid().ToString("N"));
            var settings = new Dictionary<string, string?>
            {
                ["Iam:DataDirectory"] = Path.Combine(data, "iam"),
                ["Iam:InitialAdminClientSecret"] = AdminSecret,
                ["Gateway:AccessLog"] = "false",
            };
            var app = DomainHost.Create(url?.AbsoluteUri.TrimEnd('/') ?? "http://127.0.0.1:0", broker => broker.DataDirectory = Path.Combine(data, "broker"), federation =>
            {
                federation.DomainName = name;
                federation.Peers = peer is null ? [] : [peer.PublicUrl];
                federation.ResyncInterval = TimeSpan.FromSeconds(1);
                federation.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
                federation.RetryMaxDelay = TimeSpan.FromSeconds(1);
                federation.RequestTimeout = TimeSpan.FromSeconds(5);
                federation.RequestRetries = 1;
            }, settings, configureSecurity: security =>
            {
                security.Enabled = true;
                security.EmbeddedIam = embeddedIam;
                security.Issuer = issuerOf?.Issuer;
                security.ContinuumUrls = [.. continuumUrls ?? []];
                security.AgentUrls = [.. agentUrls ?? []];
                // The IAM's initial administrator stands in for the domain's machine client where none exists yet.
                security.Client.ClientId = embeddedIam ? IamOptions.DefaultInitialAdminClientId : name + "-host";
                security.Client.ClientSecret = embeddedIam ? AdminSecret : issuerOf!.HostSecrets[name + "-host"];
            });
            try
            {
                await app.StartAsync().Within($"starting secure domain {name}", TimeSpan.FromSeconds(60));
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
            var publicUrl = new Uri(DomainHost.PublicUrls(app)[0].TrimEnd('/') + "/");
            return new SecureDomain(app, publicUrl, data, issuerOf?.Issuer ?? new Uri(publicUrl, "iam/"));
        }

        public Dictionary<string, string> HostSecrets { get; } = [];

        /// <summary>A client sending the initial administrator's token (from <paramref name="iam"/>, default this domain's IAM).</summary>
        public HttpClient AdminClient(SecureDomain? iam = null)
        {
            var tokens = new ClientCredentialsTokenSource(new ClientCredentialsOptions
            {
                TokenUrl = new Uri((iam ?? this).PublicUrl, "iam/connect/token"),
                ClientId = IamOptions.DefaultInitialAdminClientId,
                ClientSecret = AdminSecret,
            });
            return new HttpClient(new BearerTokenHandler(tokens, new SocketsHttpHandler())) { BaseAddress = PublicUrl, Timeout = TimeSpan.FromSeconds(30) };
        }

        /// <summary>Creates a client with the given role assignments through the admin API; returns (and remembers) its secret.</summary>
        public async Task<string> CreateClientAsync(string clientId, params (string Role, string Domain)[] roles)
        {
            using var admin = AdminClient();
            using var created = await admin.PostAsJsonAsync("iam/admin/v1/clients", new { clientId }).Within($"creating client {clientId}");
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating {clientId}: {(int)created.StatusCode} {body}");
            var secret = (string)JsonNode.Parse(body)!["clientSecret"]!;
            foreach (var (role, domain) in roles)
            {
                using var assigned = await admin.PostAsJsonAsync("iam/admin/v1/assignments", new { client = clientId, role, domain }).Within($"assigning {role} to {clientId}");
                Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
            }
            HostSecrets[clientId] = secret;
            return secret;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await App.StopAsync(cts.Token);
            }
            finally
            {
                await App.DisposeAsync();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(Data, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temporary directory is harmless.
                }
            }
        }
    }
}
