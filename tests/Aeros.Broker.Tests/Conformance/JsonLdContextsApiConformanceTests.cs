using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §3.4: the @context management API. Suite: 050_01..04, 051_01..08, 052_01..04, 053_01..08.
/// </summary>
public sealed class JsonLdContextsApiConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private static readonly HashSet<string> DetailKeys = ["URL", "localId", "kind", "createdAt", "lastUsage", "numberOfHits", "extraInfo", "body", "expiresAt"];

    private async Task<string> AddHostedAsync(JsonNode context)
    {
        using var response = await fx.SendAsync(HttpMethod.Post, "/jsonldContexts", new JsonObject { ["@context"] = context });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        return response.Headers.Location!.ToString();
    }

    private static string LocalPath(string url) => new Uri(url).AbsolutePath[Root.Length..];

    private static string LocalId(string url) => url[(url.LastIndexOf('/') + 1)..];

    // 050_01_01, 052_01_01: add → 201 + Location; it is listed as Hosted and served exactly as stored.
    [Fact]
    public async Task Add_Returns201WithLocation_ListedAndServedExactly()
    {
        var context = new JsonObject { ["hostedTerm"] = SuiteNs + "hostedTerm", ["nested"] = new JsonObject { ["@id"] = SuiteNs + "nested", ["@type"] = "@id" } };
        var url = await AddHostedAsync(context.DeepClone());
        Assert.Contains("/ngsi-ld/v1/jsonldContexts/", url, StringComparison.Ordinal);

        var hosted = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=Hosted");
        Assert.Contains(url, hosted.Select(u => u!.GetValue<string>()));
        var all = (JsonArray)await fx.GetJsonAsync("/jsonldContexts");
        Assert.Contains(url, all.Select(u => u!.GetValue<string>()));

        using var served = await fx.SendAsync(HttpMethod.Get, LocalPath(url));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("application/json", served.Content.Headers.ContentType!.MediaType);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["@context"] = context }, await ReadJsonAsync(served)));
    }

    // 052_02_01, 051_02_01: details=true → metadata objects with only the allowed keys.
    [Fact]
    public async Task Details_ListAndGet_HaveOnlyAllowedKeys()
    {
        var url = await AddHostedAsync(new JsonObject { ["d"] = SuiteNs + "d" });
        var list = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?details=true&kind=Hosted");
        var entry = (JsonObject)list.Single(e => e!["URL"]!.GetValue<string>() == url)!;
        Assert.All(entry.Select(p => p.Key), k => Assert.Contains(k, DetailKeys));
        Assert.Equal("Hosted", entry["kind"]!.GetValue<string>());
        Assert.Equal(LocalId(url), entry["localId"]!.GetValue<string>());
        Assert.NotNull(entry["createdAt"]);

        var single = (JsonObject)await fx.GetJsonAsync(LocalPath(url) + "?details=true");
        Assert.All(single.Select(p => p.Key), k => Assert.Contains(k, DetailKeys));
        Assert.Equal(url, single["URL"]!.GetValue<string>());
    }

    // 052_04_01..03, 050_02_*: bad kind / details values and malformed bodies → 400 BadRequestData with detail ≠ title.
    [Theory]
    [InlineData("/jsonldContexts?kind=Foo")]
    [InlineData("/jsonldContexts?details=maybe")]
    [InlineData("/jsonldContexts?kind=hosted")]
    public async Task List_BadParameterValue_Returns400(string path)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, path);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Theory]
    [InlineData("{\"notContext\":{}}")]
    [InlineData("{\"@context\":42}")]
    [InlineData("{\"@context\":[42]}")]
    public async Task Add_Malformed_Returns400WithDetail(string body)
    {
        using var response = await fx.Client.SendAsync(Request(HttpMethod.Post, "/jsonldContexts", Json(body)));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
        var problem = (await ReadJsonAsync(response))!;
        Assert.NotEqual(problem["title"]!.GetValue<string>(), problem["detail"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(problem["detail"]!.GetValue<string>()));
    }

    // 050_04_01: URLs inside an added array are downloaded and become Cached.
    [Fact]
    public async Task Add_ArrayWithRemoteUrl_CachesTheUrl()
    {
        var remote = fx.Contexts.Serve("cached-" + Guid.NewGuid().ToString("N") + ".jsonld", UserContextDocument);
        await AddHostedAsync(new JsonArray(remote));
        var cached = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=Cached");
        Assert.Contains(remote, cached.Select(u => u!.GetValue<string>()));
    }

    // 051_03_01, 051_01_01: delete → 204 with empty body; then 404.
    [Fact]
    public async Task Delete_Returns204_ThenUnknownIs404()
    {
        var url = await AddHostedAsync(new JsonObject { ["x"] = SuiteNs + "x" });
        using var delete = await fx.SendAsync(HttpMethod.Delete, LocalPath(url));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(await delete.Content.ReadAsByteArrayAsync());
        Assert.Null(delete.Content.Headers.ContentType);
        using var again = await fx.SendAsync(HttpMethod.Delete, LocalPath(url));
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "ResourceNotFound");
        using var get = await fx.SendAsync(HttpMethod.Get, LocalPath(url));
        await AssertProblemAsync(get, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    // 051_08_01: the core context cannot be deleted → 400.
    [Fact]
    public async Task Delete_CoreContext_Returns400()
    {
        var list = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?details=true");
        var core = list.Single(e => e!["URL"]!.GetValue<string>().Contains("ngsi-ld-core-context", StringComparison.Ordinal))!;
        using var response = await fx.SendAsync(HttpMethod.Delete, "/jsonldContexts/" + core["localId"]!.GetValue<string>());
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 051_04_05, 051_07_01: reload of Hosted or ImplicitlyCreated → 400; 051_04_01: unknown id with reload → 400.
    [Fact]
    public async Task Reload_OnlyForCached()
    {
        var hosted = await AddHostedAsync(new JsonObject { ["r"] = SuiteNs + "r" });
        using (var response = await fx.SendAsync(HttpMethod.Delete, LocalPath(hosted) + "?reload=true"))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
        }

        using (var response = await fx.SendAsync(HttpMethod.Delete, "/jsonldContexts/unknown-context-id?reload=true"))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
        }

        using (var response = await fx.SendAsync(HttpMethod.Delete, LocalPath(hosted) + "?reload=yes"))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
        }

        var inline = new JsonObject { ["implicitReload"] = SuiteNs + "implicitReload" + Guid.NewGuid().ToString("N") };
        await fx.CreateAsync(new JsonObject { ["id"] = NewId(), ["type"] = "T", ["@context"] = inline }, mediaType: "application/ld+json");
        var implicitList = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=ImplicitlyCreated&details=true");
        Assert.NotEmpty(implicitList);
        var implicitId = implicitList[^1]!["localId"]!.GetValue<string>();
        using (var response = await fx.SendAsync(HttpMethod.Delete, $"/jsonldContexts/{implicitId}?reload=true"))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
        }

        var remote = fx.Contexts.Serve("reload-" + Guid.NewGuid().ToString("N") + ".jsonld", UserContextDocument);
        await fx.CreateAsync(new JsonObject { ["id"] = NewId(), ["type"] = "T" }, link: remote);
        var cached = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=Cached&details=true");
        var cachedId = cached.Single(e => e!["URL"]!.GetValue<string>() == remote)!["localId"]!.GetValue<string>();
        using (var response = await fx.SendAsync(HttpMethod.Delete, $"/jsonldContexts/{cachedId}?reload=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
    }

    // 051_05_01: reloading a Cached context whose source disappeared → 503 LdContextNotAvailable.
    [Fact]
    public async Task Reload_SourceGone_Returns503()
    {
        var name = "gone-" + Guid.NewGuid().ToString("N") + ".jsonld";
        var remote = fx.Contexts.Serve(name, UserContextDocument);
        await fx.CreateAsync(new JsonObject { ["id"] = NewId(), ["type"] = "T" }, link: remote);
        var cached = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=Cached&details=true");
        var cachedId = cached.Single(e => e!["URL"]!.GetValue<string>() == remote)!["localId"]!.GetValue<string>();
        fx.Contexts.Remove(name);
        using var response = await fx.SendAsync(HttpMethod.Delete, $"/jsonldContexts/{cachedId}?reload=true");
        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
    }

    // 053_04_01, 053_06_01: numberOfHits counts each use of a context.
    [Fact]
    public async Task NumberOfHits_CountsUses()
    {
        var url = await AddHostedAsync(new JsonObject { ["hits"] = SuiteNs + "hits" + Guid.NewGuid().ToString("N") });
        var before = (await fx.GetJsonAsync(LocalPath(url) + "?details=true"))["numberOfHits"]!.GetValue<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await fx.SendAsync(HttpMethod.Get, "/entities?type=Nothing", link: url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var after = (await fx.GetJsonAsync(LocalPath(url) + "?details=true"))["numberOfHits"]!.GetValue<int>();
        Assert.Equal(before + 3, after);
    }
}
