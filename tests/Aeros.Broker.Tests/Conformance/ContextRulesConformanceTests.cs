using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §3.1/§3.2 and §9 items 1, 3, 4: where the request @context comes from, how responses carry it.
/// Suite: 001_04_*, 001_06_01, 001_08_01, 001_09_01, 003_06..09, 018_06_01/02, 043_01_01..05, 045_01_*, 050_03_01.
/// </summary>
public sealed class ContextRulesConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private const string NonExistingCore = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld";

    private static JsonObject Vehicle(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Vehicle",
        ["brandName"] = Prop("Mercedes"),
        ["category"] = new JsonObject { ["type"] = "VocabProperty", ["vocab"] = "Sedan" },
    };

    private static string ContextLink(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Link"), l => l.Contains("json-ld#context", StringComparison.Ordinal));

    // 018_06_01, 001_04_01: the Link context expands on input and compacts on output; JSON echoes it in Link.
    [Fact]
    public async Task LinkContext_ExpandsInputCompactsOutput_AndIsEchoedInLinkHeader()
    {
        var id = NewId("Vehicle");
        await fx.CreateAsync(Vehicle(id), fx.UserContextUrl);
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}", link: fx.UserContextUrl);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"<{fx.UserContextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", ContextLink(response));
        var body = (await ReadJsonAsync(response))!;
        Assert.True(JsonNode.DeepEquals(Vehicle(id), body), body.ToJsonString());
    }

    // 018_06_02: without the user context, IRIs with no term render in full (also VocabProperty values).
    [Fact]
    public async Task NoUserContext_RendersFullIrisWhereNoTerm()
    {
        var id = NewId("Vehicle");
        await fx.CreateAsync(Vehicle(id), fx.UserContextUrl);
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}");
        Assert.Contains("ngsi-ld-core-context", ContextLink(response), StringComparison.Ordinal);
        var body = (await ReadJsonAsync(response))!;
        Assert.Equal(SuiteNs + "Vehicle", body["type"]!.GetValue<string>());
        Assert.Equal("Mercedes", body[SuiteNs + "brandName"]!["value"]!.GetValue<string>());
        Assert.Equal(SuiteNs + "Sedan", body[SuiteNs + "category"]!["vocab"]!.GetValue<string>());
    }

    // VocabProperty values are expanded with @vocab coercion: q compares against the expanded value.
    // (expandValues=category, which would expand the comparison value, is not supported yet.)
    [Fact]
    public async Task VocabProperty_IsExpandedAndQueryableByExpandedValue()
    {
        var id = NewId("Vehicle");
        await fx.CreateAsync(Vehicle(id), fx.UserContextUrl);
        var byFullIri = await fx.QueryIdsAsync($"type=Vehicle&q=category==%22{Uri.EscapeDataString(SuiteNs + "Sedan")}%22", fx.UserContextUrl);
        Assert.Contains(id, byFullIri);
    }

    // 018_06_01 with ld+json: the body @context is exactly the Link context sent (not [user, core]).
    [Fact]
    public async Task LdJsonResponse_EchoesLinkContextExactly_WithoutLinkHeader()
    {
        var id = NewId("Vehicle");
        await fx.CreateAsync(Vehicle(id), fx.UserContextUrl);
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}", link: fx.UserContextUrl, accept: "application/ld+json");
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.False(response.Headers.Contains("Link"));
        var context = (await ReadJsonAsync(response))!["@context"]!;
        var single = context is JsonArray a ? Assert.Single(a)! : context;
        Assert.Equal(fx.UserContextUrl, single.GetValue<string>());
    }

    // 045_01_*: no user context → core URL.
    [Fact]
    public async Task NoUserContext_LdJson_EchoesCoreContextUrl()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T" });
        var body = await fx.GetJsonAsync($"/entities/{id}", accept: "application/ld+json");
        var context = body["@context"] is JsonArray a ? Assert.Single(a)! : body["@context"]!;
        Assert.Matches(@"^https://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context-v1\.\d+\.jsonld$", context.GetValue<string>());
    }

    // 001_04_02: ld+json body with an array context; the POST query echoes the array exactly.
    [Fact]
    public async Task LdJsonBody_ArrayContext_IsUsedAndEchoedExactly()
    {
        var id = NewId("Vehicle");
        var context = new JsonArray(fx.UserContextUrl, "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld");
        var entity = Vehicle(id);
        entity["@context"] = context.DeepClone();
        await fx.CreateAsync(entity, mediaType: "application/ld+json");
        var query = new JsonObject
        {
            ["type"] = "Query",
            ["entities"] = new JsonArray(new JsonObject { ["id"] = id, ["type"] = "Vehicle" }),
            ["@context"] = context.DeepClone(),
        };
        using var response = await fx.SendAsync(HttpMethod.Post, "/entityOperations/query", query, accept: "application/ld+json", mediaType: "application/ld+json");
        var body = (JsonArray)(await ReadJsonAsync(response))!;
        var result = (JsonObject)Assert.Single(body)!;
        Assert.True(JsonNode.DeepEquals(context, result["@context"]), result.ToJsonString());
        Assert.Equal("Mercedes", result["brandName"]!["value"]!.GetValue<string>());
    }

    // 050_03_01: an inline context becomes ImplicitlyCreated; its URL is the JSON Link echo, works as a Link
    // context and is served by GET /jsonldContexts/{id}.
    [Fact]
    public async Task InlineContext_BecomesImplicitlyCreated_UsableAsLinkAndServed()
    {
        var id = NewId("Car");
        var inline = new JsonObject { ["Car"] = SuiteNs + "Car", ["wheels"] = SuiteNs + "wheels" };
        var entity = new JsonObject { ["id"] = id, ["type"] = "Car", ["wheels"] = Prop(4), ["@context"] = inline.DeepClone() };
        await fx.CreateAsync(entity, mediaType: "application/ld+json");

        var query = new JsonObject
        {
            ["type"] = "Query",
            ["entities"] = new JsonArray(new JsonObject { ["id"] = id, ["type"] = "Car" }),
            ["@context"] = inline.DeepClone(),
        };
        using var asLd = await fx.SendAsync(HttpMethod.Post, "/entityOperations/query", query, accept: "application/ld+json", mediaType: "application/ld+json");
        var ldEntity = Assert.Single((JsonArray)(await ReadJsonAsync(asLd))!)!;
        Assert.True(JsonNode.DeepEquals(inline, ldEntity["@context"]), ldEntity.ToJsonString());

        using var asJson = await fx.SendAsync(HttpMethod.Post, "/entityOperations/query", query, mediaType: "application/ld+json");
        Assert.Equal(HttpStatusCode.OK, asJson.StatusCode);
        var link = ContextLink(asJson);
        var implicitUrl = link[1..link.IndexOf('>')];
        Assert.Contains("/ngsi-ld/v1/jsonldContexts/", implicitUrl, StringComparison.Ordinal);

        var listed = (JsonArray)await fx.GetJsonAsync("/jsonldContexts?kind=ImplicitlyCreated");
        Assert.Contains(implicitUrl, listed.Select(u => u!.GetValue<string>()));

        var served = await fx.GetJsonAsync(new Uri(implicitUrl).AbsolutePath[Root.Length..]);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["@context"] = inline.DeepClone() }, served), served.ToJsonString());

        using var viaLink = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}", link: implicitUrl);
        Assert.Equal(HttpStatusCode.OK, viaLink.StatusCode);
        Assert.Equal($"<{implicitUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", ContextLink(viaLink));
        var body = (await ReadJsonAsync(viaLink))!;
        Assert.Equal("Car", body["type"]!.GetValue<string>());
        Assert.Equal(4, body["wheels"]!["value"]!.GetValue<int>());
    }

    // 001_06_01: JSON body with @context → 400 BadRequestData.
    [Theory]
    [InlineData("/entities", "{\"id\":\"urn:ngsi-ld:T:ctx1\",\"type\":\"T\",\"@context\":\"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld\"}")]
    public async Task JsonBodyWithContext_Returns400(string path, string body)
    {
        using var response = await fx.Client.SendAsync(Request(HttpMethod.Post, path, Json(body)));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 001_08_01: ld+json body without @context → 400 BadRequestData.
    [Theory]
    [InlineData("/entities", "{\"id\":\"urn:ngsi-ld:T:ctx4\",\"type\":\"T\"}")]
    public async Task LdJsonBodyWithoutContext_Returns400(string path, string body)
    {
        using var response = await fx.Client.SendAsync(Request(HttpMethod.Post, path, Json(body, "application/ld+json")));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 003_06_01 / 003_08_01 (suite at 1d442dc expects 207, contrary to the digest's §9 item 3): in a batch the
    // @context mistake belongs to the element → 207 with a per-entity BadRequestData; other elements succeed.
    [Theory]
    [InlineData("application/json", "create")]
    [InlineData("application/ld+json", "create")]
    [InlineData("application/json", "upsert")]
    [InlineData("application/ld+json", "upsert")]
    public async Task BatchElementContextMistake_IsPerEntity207(string mediaType, string operation)
    {
        string good = NewId(), bad = NewId();
        var core = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
        var goodEntity = new JsonObject { ["id"] = good, ["type"] = "T" };
        var badEntity = new JsonObject { ["id"] = bad, ["type"] = "T" };
        if (mediaType == "application/json")
        {
            badEntity["@context"] = core;
        }
        else
        {
            goodEntity["@context"] = core;
        }
        using var response = await fx.SendAsync(HttpMethod.Post, "/entityOperations/" + operation, new JsonArray(goodEntity, badEntity), mediaType: mediaType);
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = (await ReadJsonAsync(response))!;
        Assert.Equal([good], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Equal(bad, error["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", error["error"]!["type"]!.GetValue<string>());
    }

    // 001_09_01, 003_09_01: ld+json body plus a Link header → 400 BadRequestData.
    [Theory]
    [InlineData("/entities", "{\"id\":\"urn:ngsi-ld:T:ctx6\",\"type\":\"T\",\"@context\":\"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld\"}")]
    [InlineData("/entityOperations/create", "[{\"id\":\"urn:ngsi-ld:T:ctx7\",\"type\":\"T\",\"@context\":\"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld\"}]")]
    public async Task LdJsonBodyWithLink_Returns400(string path, string body)
    {
        using var response = await fx.Client.SendAsync(Request(HttpMethod.Post, path, Json(body, "application/ld+json"), link: fx.UserContextUrl));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 001_09_01 for the other JSON-LD writes on an entity: append, update, partial update, merge, replace.
    [Theory]
    [InlineData("POST", "/attrs")]
    [InlineData("PATCH", "/attrs")]
    [InlineData("PATCH", "/attrs/a")]
    [InlineData("PATCH", "")]
    [InlineData("PUT", "")]
    public async Task LdJsonFragmentWithLink_Returns400(string method, string suffix)
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["a"] = Prop(1) });
        var fragment = suffix == "/attrs/a"
            ? new JsonObject { ["value"] = 2 }
            : new JsonObject { ["type"] = "T", ["a"] = Prop(2) };
        fragment["@context"] = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
        using var withLink = await fx.SendAsync(new HttpMethod(method), $"/entities/{id}{suffix}", fragment, link: fx.UserContextUrl, mediaType: "application/ld+json");
        await AssertProblemAsync(withLink, HttpStatusCode.BadRequest, "BadRequestData");
        fragment.Remove("@context");
        using var asJson = await fx.SendAsync(new HttpMethod(method), $"/entities/{id}{suffix}", fragment, mediaType: "application/ld+json");
        await AssertProblemAsync(asJson, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(1, (await fx.GetJsonAsync($"/entities/{id}"))["a"]!["value"]!.GetValue<int>());
    }

    // 043_01_01..03: a context that cannot be retrieved → 503 LdContextNotAvailable (create, query, retrieve).
    [Fact]
    public async Task UnreachableLinkContext_Returns503()
    {
        var missing = new Uri(fx.Contexts.BaseAddress, "does-not-exist.jsonld").ToString();
        using var create = await fx.SendAsync(HttpMethod.Post, "/entities", new JsonObject { ["id"] = NewId(), ["type"] = "T" }, link: missing);
        await AssertProblemAsync(create, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        using var query = await fx.SendAsync(HttpMethod.Get, "/entities?type=T", link: missing);
        await AssertProblemAsync(query, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        using var inline = await fx.SendAsync(
            HttpMethod.Post, "/entities",
            new JsonObject { ["id"] = NewId(), ["type"] = "T", ["@context"] = new JsonArray(missing) },
            mediaType: "application/ld+json");
        await AssertProblemAsync(inline, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
    }

    // 043_01_05: only the real core URLs are built in; the "non-existing" core URL must fail.
    [Fact]
    public async Task NonExistingCoreUrl_IsNotTreatedAsCore()
    {
        using var response = await fx.SendAsync(
            HttpMethod.Post, "/entities",
            new JsonObject { ["id"] = NewId(), ["type"] = "T", ["@context"] = NonExistingCore },
            mediaType: "application/ld+json");
        Assert.False(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
    }

    // 043_01_04: batch create with an unreachable context per element → 207, each error LdContextNotAvailable.
    [Fact]
    public async Task BatchCreate_UnreachableContextPerElement_Returns207()
    {
        var missing = new Uri(fx.Contexts.BaseAddress, "missing-batch.jsonld").ToString();
        var ids = new[] { NewId(), NewId() };
        var body = new JsonArray([.. ids.Select(i => (JsonNode)new JsonObject { ["id"] = i, ["type"] = "T", ["@context"] = missing })]);
        using var response = await fx.SendAsync(HttpMethod.Post, "/entityOperations/create", body, mediaType: "application/ld+json");
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = (await ReadJsonAsync(response))!;
        Assert.Empty(result["success"]!.AsArray());
        var errors = result["errors"]!.AsArray();
        Assert.Equal(ids, errors.Select(e => e!["entityId"]!.GetValue<string>()));
        Assert.All(errors, e => Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable", e!["error"]!["type"]!.GetValue<string>()));
    }

    // Typed values (@type/@value) are plain JSON values of a Property: stored and returned unchanged.
    [Fact]
    public async Task TypedValue_RoundTripsUnchanged()
    {
        var id = NewId();
        var typed = new JsonObject { ["@type"] = "DateTime", ["@value"] = "2018-12-04T12:00:00Z" };
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["when"] = Prop(typed.DeepClone()) });
        var body = await fx.GetJsonAsync($"/entities/{id}");
        Assert.True(JsonNode.DeepEquals(typed, body["when"]!["value"]), body.ToJsonString());
        var keyValues = await fx.GetJsonAsync($"/entities/{id}?options=keyValues");
        Assert.True(JsonNode.DeepEquals(typed, keyValues["when"]), keyValues.ToJsonString());
    }

    // 045_01_*: Accept */* → JSON plus Link.
    [Fact]
    public async Task AcceptAny_ReturnsJsonWithCoreLink()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T" });
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}", accept: "*/*");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("ngsi-ld-core-context", ContextLink(response), StringComparison.Ordinal);
    }
}
