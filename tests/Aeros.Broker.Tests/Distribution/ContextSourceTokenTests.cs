using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Distribution;
using Aeros.Security;
using Aeros.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Distribution;

/// <summary>
/// A secured broker (one the host gives an access token, as a secured domain host does) sends its token with forwarded
/// requests only to the context sources listed in <see cref="DistributionOptions.TokenRecipients"/>; any other source
/// is still asked, without a token, and never receives the caller's token either.
/// </summary>
public sealed class ContextSourceTokenTests
{
    private const string BrokerToken = "broker-token-1";

    [Fact]
    public async Task Query_TwoSources_OnlyTheTokenRecipientGetsTheBrokersToken()
    {
        await using var continuum = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var outsider = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var broker = await SecuredBroker.StartAsync([continuum.BaseAddress]);
        var type = "T" + Guid.NewGuid().ToString("N");
        await broker.RegisterAsync(continuum.BaseAddress, type);
        await broker.RegisterAsync(outsider.BaseAddress, type);

        using (var response = await broker.Client.SendAsync(Request(HttpMethod.Get, $"/entities?type={type}")).Within("federated query"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var toContinuum = Assert.Single(continuum.Requests);
        Assert.Equal("Bearer " + BrokerToken, toContinuum.Headers["Authorization"]);
        var toOutsider = Assert.Single(outsider.Requests);
        Assert.False(toOutsider.Headers.ContainsKey("Authorization"), "a source outside the token recipients got: " + string.Join(", ", toOutsider.Headers));
    }

    [Fact]
    public async Task Query_RegistrationAsksForTheCallersAuthorization_OutsiderGetsNoneAndRecipientGetsTheBrokersToken()
    {
        await using var continuum = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var outsider = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var broker = await SecuredBroker.StartAsync([continuum.BaseAddress]);
        var type = "T" + Guid.NewGuid().ToString("N");
        var forwardCallersToken = new JsonArray(new JsonObject { ["key"] = "Authorization", ["value"] = "urn:ngsi-ld:request" });
        await broker.RegisterAsync(continuum.BaseAddress, type, forwardCallersToken);
        await broker.RegisterAsync(outsider.BaseAddress, type, forwardCallersToken.DeepClone().AsArray());

        var request = Request(HttpMethod.Get, $"/entities?type={type}");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer callers-own-token");
        using (var response = await broker.Client.SendAsync(request).Within("federated query"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("Bearer " + BrokerToken, Assert.Single(continuum.Requests).Headers["Authorization"]);
        Assert.False(Assert.Single(outsider.Requests).Headers.ContainsKey("Authorization"), "the caller's token reached a source outside the continuum");
    }

    [Fact]
    public async Task Query_NoTokenRecipients_NoSourceGetsTheToken()
    {
        await using var source = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var broker = await SecuredBroker.StartAsync([]);
        var type = "T" + Guid.NewGuid().ToString("N");
        await broker.RegisterAsync(source.BaseAddress, type);

        using (var response = await broker.Client.SendAsync(Request(HttpMethod.Get, $"/entities?type={type}")).Within("federated query"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.False(Assert.Single(source.Requests).Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public void Validate_RelativeTokenRecipient_ListsTheError()
    {
        var options = new DistributionOptions { TokenRecipients = [new Uri("/relative", UriKind.Relative), new Uri("ftp://x/")] };

        var result = new DistributionOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("'/relative' must be an absolute http or https URL", StringComparison.Ordinal));
    }

    private sealed class FixedToken : IAccessTokenSource
    {
        public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(BrokerToken);

        public void Invalidate(string token)
        {
        }
    }

    /// <summary>A broker on 127.0.0.1:0 with an access token source and the given token recipients.</summary>
    private sealed class SecuredBroker : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly string _data;

        private SecuredBroker(WebApplication app, string data, HttpClient client)
        {
            _app = app;
            _data = data;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<SecuredBroker> StartAsync(IReadOnlyList<Uri> recipients)
        {
            var data = Path.Combine(Path.GetTempPath(), "aeros-test-" + Guid.NewGuid().ToString("N"));
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IAccessTokenSource, FixedToken>();
            builder.Services.AddAerosBroker(o => o.DataDirectory = data);
            builder.Services.Configure<DistributionOptions>(d =>
            {
                foreach (var recipient in recipients)
                {
                    d.TokenRecipients.Add(recipient);
                }
            });
            var app = builder.Build();
            app.MapAerosBroker();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StartAsync(cts.Token);
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return new SecuredBroker(app, data, new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) });
        }

        public async Task RegisterAsync(Uri endpoint, string type, JsonArray? contextSourceInfo = null)
        {
            var registration = new JsonObject
            {
                ["type"] = "ContextSourceRegistration",
                ["information"] = new JsonArray(new JsonObject { ["entities"] = new JsonArray(new JsonObject { ["type"] = type }) }),
                ["endpoint"] = endpoint.ToString(),
            };
            if (contextSourceInfo is not null)
            {
                registration["contextSourceInfo"] = contextSourceInfo;
            }
            using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(registration))).Within("registering " + endpoint);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
