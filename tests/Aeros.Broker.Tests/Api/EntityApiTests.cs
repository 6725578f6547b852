using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Api;

public sealed class EntityApiTests(BrokerServerFixture fixture) : IClassFixture<BrokerServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    private async Task<string> CreateAsync(JsonObject entity, string? tenant = null)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(entity), tenant: tenant));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return entity["id"]!.GetValue<string>();
    }

    private async Task<JsonObject> GetAsync(string id, string query = "", string? accept = null, string? tenant = null)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}{query}", accept: accept, tenant: tenant));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (JsonObject)(await ReadJsonAsync(response))!;
    }

    private static JsonObject Vehicle(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Vehicle",
        ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 80, ["unitCode"] = "KMH", ["observedAt"] = "2024-01-01T10:00:00Z" },
        ["brandName"] = new JsonObject { ["type"] = "Property", ["value"] = "Mercedes" },
        ["isParked"] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:OffStreetParking:Downtown1" },
        ["location"] = new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(13.3986, 52.5547) } },
    };

    [Fact]
    public async Task Create_ThenRetrieve_ReturnsExactlyWhatWasCreated()
    {
        var entity = Vehicle(NewId("Vehicle"));
        var id = await CreateAsync(entity);
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(response.Headers.GetValues("Link"), l => l.Contains("ngsi-ld-core-context", StringComparison.Ordinal));
        var body = await ReadJsonAsync(response);
        Assert.True(JsonNode.DeepEquals(entity, body), body!.ToJsonString());
    }

    [Fact]
    public async Task Create_ReturnsEmptyBodyAndLocation()
    {
        var id = NewId();
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(new JsonObject { ["id"] = id, ["type"] = "T" })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/ngsi-ld/v1/entities/{id}", response.Headers.Location!.OriginalString);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Fact]
    public async Task Create_Twice_Returns409AlreadyExists()
    {
        var entity = Vehicle(NewId("Vehicle"));
        await CreateAsync(entity);
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(entity)));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", await ErrorTypeAsync(response));
    }

    [Theory]
    [InlineData("{", "InvalidRequest")]
    [InlineData("[]", "InvalidRequest")]
    [InlineData("{\"id\":\"not a uri\",\"type\":\"T\"}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\"}", "BadRequestData")]
    [InlineData("{\"type\":\"T\"}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"p\":{\"type\":\"Property\",\"value\":null}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"p\":{\"type\":\"Property\"}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"p\":{\"type\":\"Property\",\"value\":1,\"object\":\"urn:x:y\"}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"r\":{\"type\":\"Relationship\",\"object\":\"no uri\"}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"@invalid\":{\"type\":\"Property\",\"value\":1}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"p\":\"urn:ngsi-ld:null\"}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"l\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Point\",\"coordinates\":[1]}}}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"scope\":\"noslash\"}", "BadRequestData")]
    [InlineData("{\"id\":\"urn:a:b\",\"type\":\"T\",\"@context\":\"https://example.org/c.jsonld\"}", "BadRequestData")]
    public async Task Create_BadPayload_ReturnsProblemAndWritesNothing(string body, string errorType)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(body)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, await ErrorTypeAsync(response));
        using var check = await Client.SendAsync(Request(HttpMethod.Get, "/entities/urn:a:b"));
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Fact]
    public async Task Create_WrongContentType_Returns415()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json("{}", "text/plain")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Create_LdJsonWithoutContext_ReturnsBadRequestData()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json("{\"id\":\"urn:a:c\",\"type\":\"T\"}", "application/ld+json")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Create_DeeplyNested_ReturnsInvalidRequest()
    {
        var json = "{\"id\":\"urn:a:d\",\"type\":\"T\",\"p\":{\"type\":\"Property\",\"value\":" + new string('[', 200) + new string(']', 200) + "}}";
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(json)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Create_HugeBody_Returns413()
    {
        var json = "{\"id\":\"urn:a:e\",\"type\":\"T\",\"p\":{\"type\":\"Property\",\"value\":\"" + new string('x', 9 * 1024 * 1024) + "\"}}";
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(json)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Retrieve_InvalidId_Returns400_UnknownId_Returns404()
    {
        using var bad = await Client.SendAsync(Request(HttpMethod.Get, "/entities/notauri"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var missing = await Client.SendAsync(Request(HttpMethod.Get, "/entities/urn:ngsi-ld:Nothing:here"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", await ErrorTypeAsync(missing));
    }

    [Fact]
    public async Task Retrieve_UnknownParameter_ReturnsInvalidRequest()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}?foo=bar"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await ErrorTypeAsync(response));
    }

    [Theory]
    [InlineData("options=foo")]
    [InlineData("format=bar")]
    public async Task Retrieve_InvalidOptionsOrFormat_ReturnsInvalidRequest(string query)
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}?{query}"));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Retrieve_KeyValues_ReturnsSimplifiedValues()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var body = await GetAsync(id, "?options=keyValues");
        Assert.Equal(80, body["speed"]!.GetValue<int>());
        Assert.Equal("urn:ngsi-ld:OffStreetParking:Downtown1", body["isParked"]!.GetValue<string>());
        Assert.Equal("Point", body["location"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_Concise_DropsTypesAndKeepsSubAttributes()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var body = await GetAsync(id, "?format=concise");
        Assert.Equal("Mercedes", body["brandName"]!.GetValue<string>());
        Assert.Equal(80, body["speed"]!["value"]!.GetValue<int>());
        Assert.Null(body["speed"]!["type"]);
        Assert.Equal("urn:ngsi-ld:OffStreetParking:Downtown1", body["isParked"]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_SysAttrs_AddsTimestampsOnlyWhenAsked()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var plain = await GetAsync(id);
        Assert.Null(plain["createdAt"]);
        var withSys = await GetAsync(id, "?options=sysAttrs");
        Assert.NotNull(withSys["createdAt"]);
        Assert.NotNull(withSys["modifiedAt"]);
        Assert.NotNull(withSys["speed"]!["createdAt"]);
    }

    [Fact]
    public async Task Retrieve_LdJson_PutsContextInBodyWithoutLink()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}", accept: "application/ld+json"));
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.False(response.Headers.Contains("Link"));
        var body = await ReadJsonAsync(response);
        Assert.NotNull(body!["@context"]);
    }

    [Fact]
    public async Task Retrieve_AcceptAny_ReturnsJsonWithLink_AcceptXml_Returns406()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var any = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}", accept: "*/*"));
        Assert.Equal("application/json", any.Content.Headers.ContentType!.MediaType);
        Assert.True(any.Headers.Contains("Link"));
        using var xml = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}", accept: "application/xml"));
        Assert.Equal(HttpStatusCode.NotAcceptable, xml.StatusCode);
    }

    [Fact]
    public async Task Retrieve_GeoJson_ReturnsFeature()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var body = await GetAsync(id, accept: "application/geo+json");
        Assert.Equal("Feature", body["type"]!.GetValue<string>());
        Assert.Equal(id, body["id"]!.GetValue<string>());
        Assert.Equal("Point", body["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal("Vehicle", body["properties"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_Attrs_KeepsOnlyThose_AndNoneLeftIs404()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var body = await GetAsync(id, "?attrs=speed");
        Assert.NotNull(body["speed"]);
        Assert.Null(body["brandName"]);
        using var none = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}?attrs=nothing"));
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Retrieve_TypeMismatch_Returns404()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}?type=Building"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ConciseInput_IsUnderstood()
    {
        var id = NewId("Sensor");
        var entity = JsonNode.Parse($$"""
            {"id":"{{id}}","type":"Sensor","temperature":21.5,"name":{"value":"kitchen","observedAt":"2024-01-01T00:00:00Z"},
             "room":{"object":"urn:ngsi-ld:Room:1"},"loc":{"type":"Point","coordinates":[1,2]},"label":{"languageMap":{"en":"Hi","fr":"Salut"} },
             "config":{"json":{"id":1,"value":"raw"} },"tags":{"valueList":[1,2,3]},"rooms":{"objectList":[{"object":"urn:ngsi-ld:Room:1"},"urn:ngsi-ld:Room:2"]} }
            """)!.AsObject();
        await CreateAsync(entity);
        var body = await GetAsync(id);
        Assert.Equal("Property", body["temperature"]!["type"]!.GetValue<string>());
        Assert.Equal("Relationship", body["room"]!["type"]!.GetValue<string>());
        Assert.Equal("GeoProperty", body["loc"]!["type"]!.GetValue<string>());
        Assert.Equal("LanguageProperty", body["label"]!["type"]!.GetValue<string>());
        Assert.Equal("JsonProperty", body["config"]!["type"]!.GetValue<string>());
        Assert.Equal("raw", body["config"]!["json"]!["value"]!.GetValue<string>());
        Assert.Equal("ListProperty", body["tags"]!["type"]!.GetValue<string>());
        Assert.Equal("ListRelationship", body["rooms"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Room:2", body["rooms"]!["objectList"]![1]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task LanguageFilter_ReturnsPropertyWithLang()
    {
        var id = NewId("Place");
        await CreateAsync(JsonNode.Parse($$"""{"id":"{{id}}","type":"Place","name":{"type":"LanguageProperty","languageMap":{"en":"Big Square","fr":"Grand Place"} } }""")!.AsObject());
        var body = await GetAsync(id, "?lang=fr");
        Assert.Equal("Property", body["name"]!["type"]!.GetValue<string>());
        Assert.Equal("Grand Place", body["name"]!["value"]!.GetValue<string>());
        Assert.Equal("fr", body["name"]!["lang"]!.GetValue<string>());
        var kv = await GetAsync(id, "?lang=de,en;q=0.5&options=keyValues");
        Assert.Equal("Big Square", kv["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task MultiInstance_DatasetIds_AreKeptAndFiltered()
    {
        var id = NewId("Multi");
        await CreateAsync(JsonNode.Parse($$"""
            {"id":"{{id}}","type":"Multi","speed":[{"type":"Property","value":1},{"type":"Property","value":2,"datasetId":"urn:ngsi-ld:Dataset:gps"}]}
            """)!.AsObject());
        var body = await GetAsync(id);
        Assert.Equal(2, body["speed"]!.AsArray().Count);
        var onlyGps = await GetAsync(id, "?datasetId=urn:ngsi-ld:Dataset:gps");
        Assert.Equal(2, onlyGps["speed"]!["value"]!.GetValue<int>());
        var kv = await GetAsync(id, "?options=keyValues");
        Assert.Equal(1, kv["speed"]!["dataset"]!["@none"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_DuplicateDefaultInstance_Returns400()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(
            """{"id":"urn:ngsi-ld:Dup:1","type":"T","speed":[{"type":"Property","value":1},{"type":"Property","value":2}]}""")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Delete_RemovesEntity_SecondDeleteIs404()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var first = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}"));
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        using var second = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
    }

    [Fact]
    public async Task Replace_KeepsCreatedAtAndReplacesEverything()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var before = await GetAsync(id, "?options=sysAttrs");
        using var response = await Client.SendAsync(Request(HttpMethod.Put, $"/entities/{id}",
            Json("""{"type":"Car","color":{"type":"Property","value":"red"}}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var after = await GetAsync(id, "?options=sysAttrs");
        Assert.Equal("Car", after["type"]!.GetValue<string>());
        Assert.Null(after["speed"]);
        Assert.Equal("red", after["color"]!["value"]!.GetValue<string>());
        Assert.Equal(before["createdAt"]!.GetValue<string>(), after["createdAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Merge_DeepMergesValuesAndNullDeletes()
    {
        var id = NewId("Merge");
        await CreateAsync(JsonNode.Parse($$"""
            {"id":"{{id}}","type":"T","address":{"type":"Property","value":{"city":"Berlin","street":"A"},"unitCode":"X"},"gone":{"type":"Property","value":1} }
            """)!.AsObject());
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}", Json(
            """{"address":{"type":"Property","value":{"street":"B","zip":"urn:ngsi-ld:null"}},"gone":"urn:ngsi-ld:null","added":5}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal("Berlin", body["address"]!["value"]!["city"]!.GetValue<string>());
        Assert.Equal("B", body["address"]!["value"]!["street"]!.GetValue<string>());
        Assert.Equal("X", body["address"]!["unitCode"]!.GetValue<string>());
        Assert.Null(body["gone"]);
        Assert.Equal(5, body["added"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Merge_KeyValuesFormat_KeepsAttributeType()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}?format=keyValues",
            Json("""{"isParked":"urn:ngsi-ld:OffStreetParking:Other","speed":10}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal("Relationship", body["isParked"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:OffStreetParking:Other", body["isParked"]!["object"]!.GetValue<string>());
        Assert.Equal(10, body["speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Append_NoOverwrite_Returns207ListingSkipped()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Post, $"/entities/{id}/attrs?options=noOverwrite",
            Json("""{"speed":{"type":"Property","value":1},"color":{"type":"Property","value":"blue"}}""")));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = await ReadJsonAsync(response);
        Assert.Equal("color", result!["updated"]![0]!.GetValue<string>());
        Assert.Equal("speed", result["notUpdated"]![0]!["attributeName"]!.GetValue<string>());
        var body = await GetAsync(id);
        Assert.Equal(80, body["speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Append_Overwrite_Returns204AndReplaces()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Post, $"/entities/{id}/attrs/",
            Json("""{"speed":{"type":"Property","value":1}}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal(1, body["speed"]!["value"]!.GetValue<int>());
        Assert.Null(body["speed"]!["unitCode"]);
    }

    [Fact]
    public async Task UpdateAttrs_ReplacesAppendsAndDeletes()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs",
            Json("""{"speed":{"type":"Property","value":5},"brandName":"urn:ngsi-ld:null","newOne":{"type":"Property","value":true}}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal(5, body["speed"]!["value"]!.GetValue<int>());
        Assert.Null(body["brandName"]);
        Assert.True(body["newOne"]!["value"]!.GetValue<bool>());
    }

    [Fact]
    public async Task UpdateAttrs_ScopeOnEntityWithoutScope_Returns207()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs", Json("""{"scope":"/a/b"}""")));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
    }

    [Fact]
    public async Task PartialUpdate_KeepsOtherMembers_UnknownDatasetIs404_TypeChangeIs400()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        using var ok = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs/speed", Json("""{"value":99}""")));
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal(99, body["speed"]!["value"]!.GetValue<int>());
        Assert.Equal("KMH", body["speed"]!["unitCode"]!.GetValue<string>());
        using var missing = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs/speed", Json("""{"value":1,"datasetId":"urn:ngsi-ld:Dataset:none"}""")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var typeChange = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs/speed", Json("""{"type":"Relationship","object":"urn:a:b"}""")));
        Assert.Equal(HttpStatusCode.BadRequest, typeChange.StatusCode);
        using var empty = await Client.SendAsync(Request(HttpMethod.Patch, $"/entities/{id}/attrs/speed", Json("{}")));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task ReplaceAttribute_KeepsCreatedAt_MissingIs404_ScopeIs400()
    {
        var id = await CreateAsync(Vehicle(NewId("Vehicle")));
        var before = await GetAsync(id, "?options=sysAttrs");
        using var ok = await Client.SendAsync(Request(HttpMethod.Put, $"/entities/{id}/attrs/speed", Json("""{"type":"Property","value":3}""")));
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var after = await GetAsync(id, "?options=sysAttrs");
        Assert.Equal(3, after["speed"]!["value"]!.GetValue<int>());
        Assert.Null(after["speed"]!["unitCode"]);
        Assert.Equal(before["speed"]!["createdAt"]!.GetValue<string>(), after["speed"]!["createdAt"]!.GetValue<string>());
        using var missing = await Client.SendAsync(Request(HttpMethod.Put, $"/entities/{id}/attrs/nothing", Json("""{"type":"Property","value":3}""")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var scope = await Client.SendAsync(Request(HttpMethod.Put, $"/entities/{id}/attrs/scope", Json("""{"type":"Property","value":3}""")));
        Assert.Equal(HttpStatusCode.BadRequest, scope.StatusCode);
    }

    [Fact]
    public async Task DeleteAttribute_DefaultDatasetAndAll()
    {
        var id = NewId("Multi");
        await CreateAsync(JsonNode.Parse($$"""
            {"id":"{{id}}","type":"Multi","speed":[{"type":"Property","value":1},{"type":"Property","value":2,"datasetId":"urn:ngsi-ld:Dataset:a"},{"type":"Property","value":3,"datasetId":"urn:ngsi-ld:Dataset:b"}],"other":1}
            """)!.AsObject());
        using var byDataset = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:a"));
        Assert.Equal(HttpStatusCode.NoContent, byDataset.StatusCode);
        using var unknown = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:a"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var defaultOne = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}/attrs/speed"));
        Assert.Equal(HttpStatusCode.NoContent, defaultOne.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal(3, body["speed"]!["value"]!.GetValue<int>());
        using var all = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}/attrs/other?deleteAll=true"));
        Assert.Equal(HttpStatusCode.NoContent, all.StatusCode);
        Assert.Null((await GetAsync(id))["other"]);
    }

    [Fact]
    public async Task Scope_AppendNoOverwriteMergesAndDeleteRemoves()
    {
        var id = NewId("Scoped");
        await CreateAsync(JsonNode.Parse($$"""{"id":"{{id}}","type":"T","scope":"/a/b"}""")!.AsObject());
        using var append = await Client.SendAsync(Request(HttpMethod.Post, $"/entities/{id}/attrs?options=noOverwrite", Json("""{"scope":"/c"}""")));
        Assert.Equal(HttpStatusCode.NoContent, append.StatusCode);
        var body = await GetAsync(id);
        Assert.Equal(2, body["scope"]!.AsArray().Count);
        using var delete = await Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{id}/attrs/scope"));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Null((await GetAsync(id))["scope"]);
    }

    [Fact]
    public async Task Tenants_AreIsolated_UnknownTenantIs404()
    {
        var id = NewId("Tenanted");
        await CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T" }, tenant: "tenant-a");
        var inTenant = await GetAsync(id, tenant: "tenant-a");
        Assert.Equal(id, inTenant["id"]!.GetValue<string>());
        using var inDefault = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, inDefault.StatusCode);
        using var unknown = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}", tenant: "nobody"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant", await ErrorTypeAsync(unknown));
    }

    [Fact]
    public async Task TrailingSlash_OnEntities_Works()
    {
        var id = NewId();
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entities/", Json(new JsonObject { ["id"] = id, ["type"] = "T" })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task UserContext_FromInlineLdJson_IsEchoedAndUsedForCompaction()
    {
        var id = NewId("Thing");
        var ctx = new JsonObject { ["Thing"] = "https://example.org/Thing", ["size"] = "https://example.org/size" };
        var body = new JsonObject { ["id"] = id, ["type"] = "Thing", ["size"] = 3, ["@context"] = new JsonArray(ctx, "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld") };
        using var created = await Client.SendAsync(Request(HttpMethod.Post, "/entities", Json(body, "application/ld+json")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // Without the context the names come back expanded.
        var plain = await GetAsync(id);
        Assert.NotNull(plain["https://example.org/size"]);
        Assert.Equal("https://example.org/Thing", plain["type"]!.GetValue<string>());
    }
}

/// <summary>One broker shared by the tests of a class.</summary>
public sealed class BrokerServerFixture : IAsyncLifetime
{
    public BrokerServer Server { get; } = new();

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();
}
