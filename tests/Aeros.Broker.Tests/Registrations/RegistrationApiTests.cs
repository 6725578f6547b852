using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.Api;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Registrations;

/// <summary>The /csourceRegistrations API (ETSI suite 033–037) and /info/sourceIdentity on a real broker.</summary>
public sealed class RegistrationApiTests(BrokerServerFixture fixture) : IClassFixture<BrokerServerFixture>
{
    private const string BadRequestData = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";

    private HttpClient Client => fixture.Server.Client;

    private static string NewType() => "T" + Guid.NewGuid().ToString("N");

    internal static JsonObject Registration(string type, string? id = null, string endpoint = "http://127.0.0.1:1026")
    {
        var registration = new JsonObject
        {
            ["type"] = "ContextSourceRegistration",
            ["information"] = new JsonArray(new JsonObject
            {
                ["entities"] = new JsonArray(new JsonObject { ["type"] = type }),
                ["propertyNames"] = new JsonArray("speed", "brandName"),
            }),
            ["endpoint"] = endpoint,
        };
        if (id is not null)
        {
            registration["id"] = id;
        }
        return registration;
    }

    private async Task<string> CreateAsync(JsonObject registration, string? tenant = null, string? link = null)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(registration), link: link, tenant: tenant));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/ngsi-ld/v1/csourceRegistrations/", location, StringComparison.Ordinal);
        return location["/ngsi-ld/v1/csourceRegistrations/".Length..];
    }

    private async Task<JsonObject> GetAsync(string id, string query = "", string? link = null)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}{query}", link: link));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (JsonObject)(await ReadJsonAsync(response))!;
    }

    [Fact]
    public async Task Create_WithId_Returns201AndRetrieveShowsDefaults()
    {
        // 033_01_01, 036_03_01: mode and operations are returned with their defaults.
        var id = NewId("ContextSourceRegistration");
        var type = NewType();
        Assert.Equal(id, await CreateAsync(Registration(type, id)));
        var stored = await GetAsync(id);
        Assert.Equal(id, stored["id"]!.GetValue<string>());
        Assert.Equal("ContextSourceRegistration", stored["type"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:1026", stored["endpoint"]!.GetValue<string>());
        Assert.Equal("inclusive", stored["mode"]!.GetValue<string>());
        Assert.Equal("[\"federationOps\"]", stored["operations"]!.ToJsonString());
        Assert.Equal(type, stored["information"]![0]!["entities"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("[\"speed\",\"brandName\"]", stored["information"]![0]!["propertyNames"]!.ToJsonString());
        Assert.Null(stored["status"]);
    }

    [Fact]
    public async Task Create_WithoutId_GeneratesUri()
    {
        // 033_11
        var id = await CreateAsync(Registration(NewType()));
        Assert.StartsWith("urn:ngsi-ld:ContextSourceRegistration:", id, StringComparison.Ordinal);
        Assert.Equal(id, (await GetAsync(id))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ExistingId_Returns409AlreadyExists()
    {
        // 033_03_01
        var id = NewId("ContextSourceRegistration");
        await CreateAsync(Registration(NewType(), id));
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(Registration(NewType(), id))));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", await ErrorTypeAsync(response));
    }

    public static TheoryData<string, string> InvalidRegistrations => new()
    {
        { "no endpoint", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}]}""" },
        { "no information", """{"type":"ContextSourceRegistration","endpoint":"http://127.0.0.1:1"}""" },
        { "no type", """{"information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "wrong type", """{"type":"Subscription","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "endpoint not a URL", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"not a url"}""" },
        { "endpoint not http", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"ftp://host/x"}""" },
        { "id not a URI", """{"id":"no uri","type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "empty information", """{"type":"ContextSourceRegistration","information":[],"endpoint":"http://127.0.0.1:1"}""" },
        { "empty RegistrationInfo", """{"type":"ContextSourceRegistration","information":[{}],"endpoint":"http://127.0.0.1:1"}""" },
        { "unknown RegistrationInfo member", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}],"x":1}],"endpoint":"http://127.0.0.1:1"}""" },
        { "EntityInfo without type", """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:a:b"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "EntityInfo id not a URI", """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"a b","type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "EntityInfo id and idPattern", """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:a:b","idPattern":".*","type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "bad idPattern", """{"type":"ContextSourceRegistration","information":[{"entities":[{"idPattern":"(","type":"V"}]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "bad property name", """{"type":"ContextSourceRegistration","information":[{"propertyNames":["@bad"]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "empty propertyNames", """{"type":"ContextSourceRegistration","information":[{"propertyNames":[]}],"endpoint":"http://127.0.0.1:1"}""" },
        { "bad mode", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","mode":"sometimes"}""" },
        { "unknown operation", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","operations":["fly"]}""" },
        { "empty operations", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","operations":[]}""" },
        { "expiresAt in the past", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","expiresAt":"2001-01-01T00:00:00Z"}""" },
        { "expiresAt not a date", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","expiresAt":"tomorrow"}""" },
        { "interval ends before start", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","observationInterval":{"startAt":"2024-01-02T00:00:00Z","endAt":"2024-01-01T00:00:00Z"}}""" },
        { "interval without start", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","managementInterval":{"endAt":"2024-01-01T00:00:00Z"}}""" },
        { "negative timeout", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","management":{"timeout":-5}}""" },
        { "unknown management member", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","management":{"retries":3}}""" },
        { "bad contextSourceInfo", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","contextSourceInfo":[{"key":"a b","value":"x"}]}""" },
        { "bad alias", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","contextSourceAlias":"a, b"}""" },
        { "bad location", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","location":{"type":"Point","coordinates":[1]}}""" },
        { "bad scope", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","scope":"noslash"}""" },
        { "bad refreshRate", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","refreshRate":"often"}""" },
        { "exclusive without entity id", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}],"propertyNames":["speed"]}],"endpoint":"http://127.0.0.1:1","mode":"exclusive"}""" },
        { "auxiliary with a write operation", """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://127.0.0.1:1","mode":"auxiliary","operations":["updateEntity"]}""" },
        { "exclusive without attributes", """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:a:b","type":"V"}]}],"endpoint":"http://127.0.0.1:1","mode":"exclusive"}""" },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task Create_InvalidRegistration_Returns400BadRequestData(string why, string body)
    {
        // 033_02_01, 033_10_01, 033_10_02
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(body)));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {response.StatusCode}");
        Assert.Equal(BadRequestData, await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Create_NotJson_Returns400InvalidRequest()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json("{not json")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Create_AllMembers_AreReturned()
    {
        var type = NewType();
        var registration = Registration(type);
        registration["registrationName"] = "all members";
        registration["description"] = "every member once";
        registration["mode"] = "redirect";
        registration["operations"] = new JsonArray("retrieveOps", "updateOps");
        registration["contextSourceInfo"] = new JsonArray(new JsonObject { ["key"] = "X-Api-Key", ["value"] = "secret" });
        registration["contextSourceAlias"] = "peer-1";
        registration["tenant"] = "other";
        registration["scope"] = new JsonArray("/city/north");
        registration["location"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(13.4, 52.5) };
        registration["observationInterval"] = new JsonObject { ["startAt"] = "2024-01-01T00:00:00Z", ["endAt"] = "2024-02-01T00:00:00Z" };
        registration["managementInterval"] = new JsonObject { ["startAt"] = "2024-01-01T00:00:00Z" };
        registration["expiresAt"] = "2099-01-01T00:00:00Z";
        registration["datasetId"] = new JsonArray("urn:ngsi-ld:Dataset:a");
        registration["refreshRate"] = "PT10S";
        registration["management"] = new JsonObject { ["localOnly"] = true, ["timeout"] = 500, ["cooldown"] = 1000, ["cacheDuration"] = "PT1M" };
        registration["brandName"] = "Mercedes";
        var id = await CreateAsync(registration);
        var stored = await GetAsync(id, "?options=sysAttrs");
        foreach (var (member, value) in registration)
        {
            Assert.True(JsonNode.DeepEquals(value, stored[member]), $"{member}: {stored[member]?.ToJsonString()}");
        }
        Assert.NotNull(stored["createdAt"]);
        Assert.NotNull(stored["modifiedAt"]);
    }

    [Fact]
    public async Task Create_UserContext_StoresExpandedAndCompactsPerRequest()
    {
        var contexts = new ContextServer();
        await contexts.InitializeAsync();
        try
        {
            await CreateWithUserContextAsync(contexts);
        }
        finally
        {
            await contexts.DisposeAsync();
        }
    }

    private async Task CreateWithUserContextAsync(ContextServer contexts)
    {
        var link = contexts.Serve("ctx.jsonld", """{"@context":{"Car":"https://example.org/vocab/Car","speed":"https://example.org/vocab/speed"}}""");
        var registration = new JsonObject
        {
            ["type"] = "ContextSourceRegistration",
            ["information"] = new JsonArray(new JsonObject
            {
                ["entities"] = new JsonArray(new JsonObject { ["type"] = "Car" }),
                ["propertyNames"] = new JsonArray("speed"),
            }),
            ["endpoint"] = "http://127.0.0.1:1026",
        };
        var id = await CreateAsync(registration, link: link);
        var withCore = await GetAsync(id);
        Assert.Equal("https://example.org/vocab/Car", withCore["information"]![0]!["entities"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("https://example.org/vocab/speed", withCore["information"]![0]!["propertyNames"]![0]!.GetValue<string>());
        var withUser = await GetAsync(id, link: link);
        Assert.Equal("Car", withUser["information"]![0]!["entities"]![0]!["type"]!.GetValue<string>());
        using var query = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations?type=Car", link: link));
        Assert.Contains(((JsonArray)(await ReadJsonAsync(query))!), r => r!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Retrieve_Unknown_Returns404AndBadId400()
    {
        using var missing = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations/" + NewId("ContextSourceRegistration")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", await ErrorTypeAsync(missing));
        using var bad = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations/notauri"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Query_WithoutAnyFilter_Returns400()
    {
        // 037_02_01
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(BadRequestData, await ErrorTypeAsync(response));
    }

    [Theory]
    [InlineData("?type=V&id=notauri")]
    [InlineData("?type=V&q=speed>>")]
    [InlineData("?type=V&georel=near;maxDistance==10&geometry=Point")]
    [InlineData("?type=V&timerel=before")]
    [InlineData("?type=V&idPattern=(")]
    [InlineData("?type=V&attrs=@x")]
    public async Task Query_InvalidFilter_Returns400(string query)
    {
        // 037_03_*
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations" + query));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Query_UnknownParameter_Returns400InvalidRequest()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations?type=V&bogus=1"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await ErrorTypeAsync(response));
    }

    private async Task<List<string>> QueryIdsAsync(string query)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations" + query));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. ((JsonArray)(await ReadJsonAsync(response))!).Select(r => r!["id"]!.GetValue<string>())];
    }

    [Fact]
    public async Task Query_ByTypeAttrsAndId_MatchesRegisteredInformation()
    {
        var type = NewType();
        var entityId = NewId("Vehicle");
        var byType = await CreateAsync(Registration(type));
        var byId = Registration(type);
        byId["information"]![0]!["entities"]![0]!["id"] = entityId;
        byId["information"]![0]!["propertyNames"] = new JsonArray("temperature");
        var withId = await CreateAsync(byId);
        Assert.Equal(new[] { byType, withId }.Order(StringComparer.Ordinal), await QueryIdsAsync($"?type={type}"));
        Assert.Equal([byType], await QueryIdsAsync($"?type={type}&attrs=speed"));
        Assert.Equal([withId], await QueryIdsAsync($"?type={type}&attrs=temperature"));
        Assert.Equal(new[] { byType, withId }.Order(StringComparer.Ordinal), await QueryIdsAsync($"?type={type}&id={entityId}"));
        Assert.Equal([byType], await QueryIdsAsync($"?type={type}&id={NewId("Vehicle")}"));
        Assert.Empty(await QueryIdsAsync($"?type={NewType()}"));
    }

    [Fact]
    public async Task Query_QOnContextSourceProperty_Filters()
    {
        // 037_10_02
        var type = NewType();
        var mercedes = Registration(type);
        mercedes["brandName"] = "Mercedes";
        var bmw = Registration(type);
        bmw["brandName"] = "BMW";
        var m = await CreateAsync(mercedes);
        await CreateAsync(bmw);
        Assert.Equal([m], await QueryIdsAsync($"?type={type}&q=brandName==%22Mercedes%22"));
        Assert.Equal([m], await QueryIdsAsync($"?type={type}&csf=brandName==%22Mercedes%22"));
    }

    [Fact]
    public async Task Query_GeoQuery_MatchesLocation()
    {
        // 037_07_*
        var type = NewType();
        var berlin = Registration(type);
        berlin["location"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(13.40, 52.52) };
        var paris = Registration(type);
        paris["location"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(2.35, 48.85) };
        var b = await CreateAsync(berlin);
        await CreateAsync(paris);
        Assert.Equal([b], await QueryIdsAsync($"?type={type}&georel=near;maxDistance==10000&geometry=Point&coordinates=%5B13.41,52.52%5D"));
    }

    [Fact]
    public async Task Query_TemporalQuery_MatchesIntervalsOnly()
    {
        // 037_08_01, 037_09_*: without a temporal query only registrations without intervals match.
        var type = NewType();
        var latest = await CreateAsync(Registration(type));
        var historic = Registration(type);
        historic["observationInterval"] = new JsonObject { ["startAt"] = "2020-01-01T00:00:00Z", ["endAt"] = "2020-12-31T00:00:00Z" };
        var h = await CreateAsync(historic);
        Assert.Equal([latest], await QueryIdsAsync($"?type={type}"));
        Assert.Equal([h], await QueryIdsAsync($"?type={type}&timerel=before&timeAt=2021-01-01T00:00:00Z"));
        Assert.Empty(await QueryIdsAsync($"?type={type}&timerel=after&timeAt=2021-01-01T00:00:00Z"));
        Assert.Equal([h], await QueryIdsAsync($"?type={type}&timerel=between&timeAt=2020-06-01T00:00:00Z&endTimeAt=2022-01-01T00:00:00Z"));
    }

    [Fact]
    public async Task Query_Paging_LimitOffsetCountAndLinks()
    {
        var type = NewType();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await CreateAsync(Registration(type, $"urn:ngsi-ld:ContextSourceRegistration:{type}:{i}")));
        }
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations?type={type}&limit=2&offset=2&count=true"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("NGSILD-Results-Count").Single());
        var page = ((JsonArray)(await ReadJsonAsync(response))!).Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Skip(2).Take(2), page);
        var links = string.Join(" ", response.Headers.GetValues("Link"));
        Assert.Contains("rel=\"next\"", links, StringComparison.Ordinal);
        Assert.Contains("offset=4", links, StringComparison.Ordinal);
        Assert.Contains("rel=\"prev\"", links, StringComparison.Ordinal);
        using var countOnly = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations?type={type}&limit=0&count=true"));
        Assert.Equal("5", countOnly.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal("[]", (await ReadJsonAsync(countOnly))!.ToJsonString());
    }

    [Fact]
    public async Task Query_ExpiredRegistration_IsNotListed()
    {
        var type = NewType();
        var registration = Registration(type);
        registration["expiresAt"] = DateTimeOffset.UtcNow.AddSeconds(1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var id = await CreateAsync(registration);
        Assert.Equal([id], await QueryIdsAsync($"?type={type}"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await QueryIdsAsync($"?type={type}")).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired registration is still listed after 10 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Patch_MergesFragmentAndKeepsTheRest()
    {
        // 034_01_01
        var id = await CreateAsync(Registration(NewType()));
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/csourceRegistrations/{id}",
            Json("""{"endpoint":"http://127.0.0.1:2000","mode":"auxiliary","management":{"timeout":250},"brandName":"Audi"}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var stored = await GetAsync(id);
        Assert.Equal("http://127.0.0.1:2000", stored["endpoint"]!.GetValue<string>());
        Assert.Equal("auxiliary", stored["mode"]!.GetValue<string>());
        Assert.Equal(250, stored["management"]!["timeout"]!.GetValue<double>());
        Assert.Equal("Audi", stored["brandName"]!.GetValue<string>());
        Assert.NotNull(stored["information"]);
    }

    [Fact]
    public async Task Patch_ExpiresAtNull_RemovesIt()
    {
        // 034_05_01
        var registration = Registration(NewType());
        registration["expiresAt"] = "2099-01-01T00:00:00Z";
        var id = await CreateAsync(registration);
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/csourceRegistrations/{id}", Json("""{"expiresAt":null}""")));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null((await GetAsync(id))["expiresAt"]);
    }

    [Theory]
    [InlineData("""{"endpoint":null}""")]
    [InlineData("""{"information":[]}""")]
    [InlineData("""{"mode":"never"}""")]
    [InlineData("""{"expiresAt":"2000-01-01T00:00:00Z"}""")]
    [InlineData("""{}""")]
    [InlineData("""{"id":"urn:ngsi-ld:ContextSourceRegistration:other"}""")]
    public async Task Patch_InvalidFragment_Returns400(string fragment)
    {
        // 034_02_*
        var id = await CreateAsync(Registration(NewType()));
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, $"/csourceRegistrations/{id}", Json(fragment)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("http://127.0.0.1:1026", (await GetAsync(id))["endpoint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_Unknown_Returns404()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Patch, "/csourceRegistrations/" + NewId("ContextSourceRegistration"), Json("""{"mode":"inclusive"}""")));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Delete_Returns204ThenRetrieveAndDelete404()
    {
        // 035_01_01, 035_02_01
        var id = await CreateAsync(Registration(NewType()));
        using var deleted = await Client.SendAsync(Request(HttpMethod.Delete, $"/csourceRegistrations/{id}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var retrieve = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, retrieve.StatusCode);
        using var again = await Client.SendAsync(Request(HttpMethod.Delete, $"/csourceRegistrations/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Create_SecondExclusiveForSameAttribute_Returns409Conflict()
    {
        var entityId = NewId("Vehicle");
        JsonObject Exclusive() => new()
        {
            ["type"] = "ContextSourceRegistration",
            ["information"] = new JsonArray(new JsonObject
            {
                ["entities"] = new JsonArray(new JsonObject { ["id"] = entityId, ["type"] = "Vehicle" }),
                ["propertyNames"] = new JsonArray("speed"),
            }),
            ["mode"] = "exclusive",
            ["endpoint"] = "http://127.0.0.1:1026",
        };
        await CreateAsync(Exclusive());
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(Exclusive())));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/Conflict", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Tenants_AreIsolated()
    {
        var type = NewType();
        var id = await CreateAsync(Registration(type), tenant: "csrtenant");
        Assert.Empty(await QueryIdsAsync($"?type={type}"));
        using var other = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var own = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}", tenant: "csrtenant"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var unknown = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations?type={type}", tenant: "nosuchtenant"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Retrieve_GeoJsonAccept_Returns406()
    {
        // 049_02_*
        var id = await CreateAsync(Registration(NewType()));
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}", accept: "application/geo+json"));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task SourceIdentity_ReturnsThisBrokersAlias()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/info/sourceIdentity"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var identity = (await ReadJsonAsync(response))!;
        Assert.Equal("ContextSourceIdentity", identity["type"]!.GetValue<string>());
        var alias = identity["contextSourceAlias"]!.GetValue<string>();
        Assert.StartsWith("aeros-", alias, StringComparison.Ordinal);
        Assert.Equal(alias, File.ReadAllText(Path.Combine(fixture.Server.DataDirectory, "context-source-alias")));
        Assert.StartsWith("PT", identity["contextSourceUptime"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_ByRegistrationIdsOrQAlone_Returns200()
    {
        // 037_10_01 (ids of registrations), 037_10_02 (q alone)
        var type = NewType();
        var first = await CreateAsync(Registration(type));
        await CreateAsync(Registration(type));
        var third = Registration(type);
        third["csourceProperty1"] = type;
        var t = await CreateAsync(third);
        Assert.Equal(new[] { first, t }.Order(StringComparer.Ordinal), await QueryIdsAsync($"?id={first},{t}"));
        Assert.Equal([t], await QueryIdsAsync($"?q=csourceProperty1==%22{type}%22"));
    }

    [Fact]
    public async Task Create_RedirectOrExclusiveOverExistingEntity_Returns409Conflict()
    {
        // 5922_01_02, 5922_01_03 (§5.9.2.4)
        var type = NewType();
        var id = NewId(type);
        using (var created = await Client.SendAsync(Request(HttpMethod.Post, "/entities",
            Json($$$"""{"id":"{{{id}}}","type":"{{{type}}}","subCategory":{"type":"Property","value":"x"}}"""))))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var redirect = Registration(type);
        redirect["mode"] = "redirect";
        redirect["information"]![0]!["entities"]![0]!["id"] = id;
        redirect["information"]![0]!.AsObject().Remove("propertyNames");
        using (var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(redirect))))
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/Conflict", await ErrorTypeAsync(response));
        }
        var exclusive = Registration(type);
        exclusive["mode"] = "exclusive";
        exclusive["information"]![0]!["entities"]![0]!["id"] = id;
        exclusive["information"]![0]!["propertyNames"] = new JsonArray("subCategory");
        using (var response = await Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(exclusive))))
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        }
        exclusive["information"]![0]!["propertyNames"] = new JsonArray("speed");
        await CreateAsync(exclusive);
    }
}
