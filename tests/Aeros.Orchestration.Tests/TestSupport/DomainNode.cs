using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Hosting;
using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Orchestration.Tests.TestSupport;

/// <summary>
/// A real domain host (broker + federator) on Kestrel at 127.0.0.1:0 with its data in a temporary directory,
/// tuned for tests: passes every second, short back-off, 1.5 s forward timeout.
/// </summary>
internal sealed class DomainNode : IAsyncDisposable
{
    /// <summary>The registrations' forward timeout in these tests.</summary>
    public static readonly TimeSpan ForwardTimeout = TimeSpan.FromMilliseconds(1500);

    private WebApplication? _app;

    private DomainNode(string name, WebApplication app, Uri url, string dataDirectory)
    {
        Name = name;
        _app = app;
        Url = url;
        DataDirectory = dataDirectory;
        Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }

    public Uri Url { get; }

    public string DataDirectory { get; }

    public HttpClient Client { get; }

    public bool Stopped => _app is null;

    public static async Task<DomainNode> StartAsync(string name, params DomainNode[] peers)
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-fed-" + name + "-" + Guid.NewGuid().ToString("N"));
        var app = DomainHost.Create("http://127.0.0.1:0", broker => broker.DataDirectory = data, federation =>
        {
            federation.DomainName = name;
            federation.Peers = peers.Select(p => p.Url).ToList();
            federation.ResyncInterval = TimeSpan.FromSeconds(1);
            federation.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
            federation.RetryMaxDelay = TimeSpan.FromSeconds(1);
            federation.RequestTimeout = TimeSpan.FromSeconds(3);
            federation.RequestRetries = 1;
            federation.ForwardTimeout = ForwardTimeout;
        });
        await app.StartAsync().Within($"starting domain {name}");
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DomainNode(name, app, new Uri(address), data);
    }

    /// <summary>Stops the host (its port refuses connections from now on); the data stays until disposal.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Creates an InfrastructureElement the way an agent writes it: short names with the aerOS @context.</summary>
    public async Task CreateInfrastructureElementAsync(string id, string hostname)
    {
        var entity = new JsonObject
        {
            ["id"] = id,
            ["type"] = "InfrastructureElement",
            ["hostname"] = new JsonObject { ["type"] = "Property", ["value"] = hostname },
            ["domain"] = new JsonObject { ["type"] = "Relationship", ["object"] = ContinuumTerms.DomainId(Name) },
            ["@context"] = new JsonArray(AerosContext(), "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"),
        };
        using var response = await Client.PostAsync("/ngsi-ld/v1/entities", new StringContent(entity.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/ld+json")))
            .Within($"creating {id} in {Name}");
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"creating {id} in {Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The ids of the InfrastructureElements a query on this domain returns (federated unless <paramref name="local"/>).</summary>
    public async Task<List<string>> QueryInfrastructureElementIdsAsync(bool local = false, HttpClient? client = null)
    {
        var path = $"/ngsi-ld/v1/entities?type={Uri.EscapeDataString(ContinuumTerms.InfrastructureElement)}&limit=1000" + (local ? "&local=true" : "");
        using var response = await (client ?? Client).GetAsync(path).Within($"querying IEs in {Name}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"query in {Name}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsArray().Select(e => e!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>GET /federation/v1/domains.</summary>
    public async Task<JsonObject> FederationStateAsync()
    {
        using var response = await Client.GetAsync("/federation/v1/domains").Within($"reading the federation state of {Name}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>The names of the domains this one has in sync.</summary>
    public async Task<List<string>> SyncedDomainsAsync() =>
        (await FederationStateAsync())["domains"]!.AsArray()
            .Where(d => d!["state"]!.GetValue<string>() == "synced")
            .Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    /// <summary>The terms of the aerOS @context the tests use (the same expansions as fixtures/aeros-datamodel/context.jsonld).</summary>
    public static JsonObject AerosContext() => new()
    {
        ["InfrastructureElement"] = "https://smartdatamodels.org/dataModel.IT/InfrastructureElement",
        ["Domain"] = "https://smartdatamodels.org/dataModel.IT/Domain",
        ["hostname"] = "https://smartdatamodels.org/dataModel.IT/hostname",
        ["domain"] = "https://smartdatamodels.org/dataModel.IT/domain",
    };

    public override string ToString() => $"domain {Name} at {Url}";
}
