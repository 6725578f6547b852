using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>One broker plus one user-@context server shared by the tests of a conformance area.</summary>
public sealed class ConformanceFixture : IAsyncLifetime
{
    /// <summary>The suite's test context namespace (data/ngsi-ld-test-suite-compound.jsonld).</summary>
    public const string SuiteNs = "https://ngsi-ld-test-suite/context#";

    public const string UserContextDocument = """
        {"@context": {
          "Vehicle": "https://ngsi-ld-test-suite/context#Vehicle",
          "brandName": "https://ngsi-ld-test-suite/context#brandName",
          "speed": "https://ngsi-ld-test-suite/context#speed",
          "category": {"@id": "https://ngsi-ld-test-suite/context#category", "@type": "@vocab"},
          "Sedan": "https://ngsi-ld-test-suite/context#Sedan"
        }}
        """;

    public BrokerServer Broker { get; } = new();

    public ContextServer Contexts { get; } = new();

    /// <summary>URL of <see cref="UserContextDocument"/> on <see cref="Contexts"/>.</summary>
    public string UserContextUrl { get; private set; } = null!;

    public HttpClient Client => Broker.Client;

    public async Task InitializeAsync()
    {
        await Contexts.InitializeAsync();
        UserContextUrl = Contexts.Serve("ngsi-ld-test-suite-compound.jsonld", UserContextDocument);
        await Broker.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Contexts.DisposeAsync();
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? link = null, string? accept = null, string mediaType = "application/json")
    {
        var request = Request(method, path, body is null ? null : Json(body, mediaType), link, accept);
        return await Client.SendAsync(request);
    }

    public async Task CreateAsync(JsonNode entity, string? link = null, string mediaType = "application/json")
    {
        using var response = await SendAsync(HttpMethod.Post, "/entities", entity, link, mediaType: mediaType);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<JsonNode> GetJsonAsync(string path, string? link = null, string? accept = null)
    {
        using var response = await SendAsync(HttpMethod.Get, path, link: link, accept: accept);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonArray> QueryAsync(string query, string? link = null)
    {
        return (JsonArray)await GetJsonAsync("/entities?" + query, link);
    }

    public async Task<string[]> QueryIdsAsync(string query, string? link = null)
    {
        var body = await QueryAsync(query, link);
        return [.. body.Select(e => e!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
    }

    /// <summary>Asserts status and, when given, the NGSI-LD error type (short name).</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, body["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["title"]?.GetValue<string>()));
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
    }

    /// <summary>A fresh entity type so each test sees only its own entities.</summary>
    public static string NewType(string prefix = "T") => prefix + Guid.NewGuid().ToString("N")[..10];

    public static JsonObject Prop(JsonNode? value) => new() { ["type"] = "Property", ["value"] = value };

    public static JsonObject Rel(string target) => new() { ["type"] = "Relationship", ["object"] = target };

    public static JsonObject Geo(string type, JsonNode coordinates) =>
        new() { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = type, ["coordinates"] = coordinates } };
}
