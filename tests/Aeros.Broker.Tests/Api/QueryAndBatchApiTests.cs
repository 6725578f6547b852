using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Api;

public sealed class QueryAndBatchApiTests(BrokerServerFixture fixture) : IClassFixture<BrokerServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    /// <summary>Creates entities of a fresh type so each test queries only its own data.</summary>
    private async Task<string> SeedAsync(int count, Func<int, JsonObject>? extra = null)
    {
        var type = "T" + Guid.NewGuid().ToString("N")[..8];
        var entities = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var entity = new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:{type}:{i:D3}",
                ["type"] = type,
                ["n"] = new JsonObject { ["type"] = "Property", ["value"] = i },
                ["name"] = new JsonObject { ["type"] = "Property", ["value"] = $"item-{i}" },
                ["location"] = new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(13.0 + i * 0.01, 52.0) } },
            };
            if (extra?.Invoke(i) is { } more)
            {
                foreach (var (k, v) in more)
                {
                    entity[k] = v?.DeepClone();
                }
            }
            entities.Add(entity);
        }
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create", Json(entities)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return type;
    }

    private async Task<(JsonArray Body, HttpResponseMessage Response)> QueryAsync(string query, string? accept = null)
    {
        var response = await Client.SendAsync(Request(HttpMethod.Get, "/entities?" + query, accept: accept));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return ((JsonArray)(await ReadJsonAsync(response))!, response);
    }

    [Fact]
    public async Task Query_ByTypeAndQ_ReturnsMatchesInIdOrder()
    {
        var type = await SeedAsync(10);
        var (body, response) = await QueryAsync($"type={type}&q=n>=3;n<6");
        using (response)
        {
            Assert.Equal(["003", "004", "005"], body.Select(e => e!["id"]!.GetValue<string>()[^3..]));
        }
    }

    [Fact]
    public async Task Query_Pagination_LinksAndCount()
    {
        var type = await SeedAsync(5);
        var (body, response) = await QueryAsync($"type={type}&limit=2&offset=2&count=true");
        using (response)
        {
            Assert.Equal(2, body.Count);
            Assert.Equal("5", response.Headers.GetValues("NGSILD-Results-Count").Single());
            var links = string.Join(",", response.Headers.GetValues("Link"));
            Assert.Contains($"</ngsi-ld/v1/entities?type={type}&count=true&limit=2&offset=0>;rel=\"prev\";type=\"application/ld+json\"", links);
            Assert.Contains($"</ngsi-ld/v1/entities?type={type}&count=true&limit=2&offset=4>;rel=\"next\";type=\"application/ld+json\"", links);
        }
    }

    [Fact]
    public async Task Query_LimitZeroWithCount_ReturnsEmptyWithCount()
    {
        var type = await SeedAsync(3);
        var (body, response) = await QueryAsync($"type={type}&limit=0&count=true");
        using (response)
        {
            Assert.Empty(body);
            Assert.Equal("3", response.Headers.GetValues("NGSILD-Results-Count").Single());
        }
    }

    [Theory]
    [InlineData("id=urn:a:b", "BadRequestData")]
    [InlineData("type=T&id=notauri", "BadRequestData")]
    [InlineData("type=T&idPattern=(", "BadRequestData")]
    [InlineData("type=T&q=n>>1", "BadRequestData")]
    [InlineData("type=T&georel=near;maxDistance==10", "BadRequestData")]
    [InlineData("type=T&attrs=id", "BadRequestData")]
    [InlineData("type=T&limit=-1", "BadRequestData")]
    [InlineData("type=T&limit=0", "BadRequestData")]
    [InlineData("type=T&pick=a,,b", "BadRequestData")]
    [InlineData("type=T&attrs=a&pick=a", "BadRequestData")]
    [InlineData("type=T&bogus=1", "InvalidRequest")]
    [InlineData("type=T&options=nope", "InvalidRequest")]
    public async Task Query_BadInput_Returns400(string query, string errorType)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/entities?" + query));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Query_TypeWildcard_MatchesEveryType()
    {
        var type = await SeedAsync(3);
        var (body, response) = await QueryAsync($"type=*&idPattern=^urn:ngsi-ld:{type}:.*&q=n>=1");
        using (response)
        {
            Assert.Equal(2, body.Count);
        }
    }

    [Fact]
    public async Task Query_LimitAboveMaximum_Returns403TooManyResults()
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/entities?type=T&limit=100000"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/TooManyResults", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Query_IdPatternAttrsPickAndPlusAsSpace()
    {
        var type = await SeedAsync(4, i => new JsonObject { ["label"] = new JsonObject { ["type"] = "Property", ["value"] = i == 2 ? "two words" : "x" } });
        var (byPattern, r1) = await QueryAsync($"type={type}&idPattern=.*:00[12]$&pick=id,n");
        using (r1)
        {
            Assert.Equal(2, byPattern.Count);
            Assert.Null(byPattern[0]!["type"]);
            Assert.NotNull(byPattern[0]!["n"]);
        }
        var (bySpace, r2) = await QueryAsync($"type={type}&q=label==%22two+words%22");
        using (r2)
        {
            Assert.Single(bySpace);
        }
    }

    [Fact]
    public async Task Query_GeoNear_FindsClosePoints()
    {
        var type = await SeedAsync(5);
        // Points lie 0.01 degrees of longitude (~680 m at 52°N) apart from 13.0,52.0.
        var (body, response) = await QueryAsync($"type={type}&georel=near;maxDistance==1000&geometry=Point&coordinates=[13.0,52.0]");
        using (response)
        {
            Assert.Equal(2, body.Count);
        }
    }

    [Fact]
    public async Task Query_GeoJsonAccept_ReturnsFeatureCollection()
    {
        var type = await SeedAsync(2);
        using var response = await Client.SendAsync(Request(HttpMethod.Get, $"/entities?type={type}", accept: "application/geo+json"));
        var body = await ReadJsonAsync(response);
        Assert.Equal("FeatureCollection", body!["type"]!.GetValue<string>());
        Assert.Equal(2, body["features"]!.AsArray().Count);
    }

    [Fact]
    public async Task PostQuery_WithEntitiesAndQ()
    {
        var type = await SeedAsync(6);
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/query?count=true", Json(
            $$"""{"type":"Query","entities":[{"type":"{{type}}"}],"q":"n<2","attrs":["n"]}""")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (JsonArray)(await ReadJsonAsync(response))!;
        Assert.Equal(2, body.Count);
        Assert.Null(body[0]!["name"]);
        Assert.Equal("2", response.Headers.GetValues("NGSILD-Results-Count").Single());
    }

    [Fact]
    public async Task BatchCreate_WithExistingAndDuplicate_Returns207()
    {
        var type = await SeedAsync(1);
        var newId = $"urn:ngsi-ld:{type}:new";
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create", Json(
            $$"""[{"id":"urn:ngsi-ld:{{type}}:000","type":"{{type}}"},{"id":"{{newId}}","type":"{{type}}"},{"id":"{{newId}}","type":"{{type}}"}]""")));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = await ReadJsonAsync(response);
        Assert.Equal([newId], result!["success"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(2, result["errors"]!.AsArray().Count);
        Assert.Equal(409, result["errors"]![0]!["error"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task BatchCreate_EmptyOrNotArray_Returns400()
    {
        using var empty = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create", Json("[]")));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", await ErrorTypeAsync(empty));
        using var broken = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create", Json("[{")));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await ErrorTypeAsync(broken));
    }

    [Fact]
    public async Task BatchUpsert_ReturnsCreatedIdsOnly_Then204WhenAllExist()
    {
        var type = await SeedAsync(1);
        var existing = $"urn:ngsi-ld:{type}:000";
        var fresh = $"urn:ngsi-ld:{type}:fresh";
        var payload = $$"""[{"id":"{{existing}}","type":"{{type}}","m":1},{"id":"{{fresh}}","type":"{{type}}","m":2},{"id":"{{fresh}}","type":"{{type}}","m":3}]""";
        using var first = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/upsert", Json(payload)));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal([fresh], (await ReadJsonAsync(first))!.AsArray().Select(x => x!.GetValue<string>()));
        using var second = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/upsert", Json(payload)));
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        using var check = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{existing}"));
        var replaced = await ReadJsonAsync(check);
        Assert.Null(replaced!["n"]); // replace mode drops attributes not sent
        using var freshCheck = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{fresh}"));
        Assert.Equal(3, (await ReadJsonAsync(freshCheck))!["m"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task BatchUpsert_UpdateMode_KeepsOtherAttributes_NullValueIsPerEntityError()
    {
        var type = await SeedAsync(1);
        var existing = $"urn:ngsi-ld:{type}:000";
        using var update = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/upsert?options=update", Json(
            $$"""[{"id":"{{existing}}","type":"{{type}}","m":1}]""")));
        Assert.Equal(HttpStatusCode.NoContent, update.StatusCode);
        using var check = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/{existing}"));
        var body = await ReadJsonAsync(check);
        Assert.NotNull(body!["n"]);
        Assert.NotNull(body["m"]);
        using var bad = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/upsert", Json(
            $$"""[{"id":"{{existing}}","type":"{{type}}","m":{"type":"Property","value":null} }]""")));
        Assert.Equal(HttpStatusCode.MultiStatus, bad.StatusCode);
    }

    [Fact]
    public async Task BatchUpdate_NoOverwriteAndMissingEntity_Return207()
    {
        var type = await SeedAsync(2);
        using var noOverwrite = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/update?options=noOverwrite", Json(
            $$"""[{"id":"urn:ngsi-ld:{{type}}:000","n":5}]""")));
        Assert.Equal(HttpStatusCode.MultiStatus, noOverwrite.StatusCode);
        using var onlyNew = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/update?options=noOverwrite", Json(
            $$"""[{"id":"urn:ngsi-ld:{{type}}:000","brandNew":5}]""")));
        Assert.Equal(HttpStatusCode.NoContent, onlyNew.StatusCode);
        using var missing = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/update", Json(
            $$"""[{"id":"urn:ngsi-ld:{{type}}:000","n":7},{"id":"urn:ngsi-ld:{{type}}:nope","n":1}]""")));
        Assert.Equal(HttpStatusCode.MultiStatus, missing.StatusCode);
    }

    [Fact]
    public async Task BatchMergeAndDelete()
    {
        var type = await SeedAsync(3);
        using var merge = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/merge", Json(
            $$"""[{"id":"urn:ngsi-ld:{{type}}:000","name":"urn:ngsi-ld:null","z":1}]""")));
        Assert.Equal(HttpStatusCode.NoContent, merge.StatusCode);
        using var check = await Client.SendAsync(Request(HttpMethod.Get, $"/entities/urn:ngsi-ld:{type}:000"));
        var body = await ReadJsonAsync(check);
        Assert.Null(body!["name"]);
        Assert.NotNull(body["z"]);
        using var delete = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/delete", Json(
            $$"""["urn:ngsi-ld:{{type}}:000","urn:ngsi-ld:{{type}}:001"]""")));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var again = await Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/delete", Json(
            $$"""["urn:ngsi-ld:{{type}}:001","urn:ngsi-ld:{{type}}:002","urn:ngsi-ld:{{type}}:002"]""")));
        Assert.Equal(HttpStatusCode.MultiStatus, again.StatusCode);
        var result = await ReadJsonAsync(again);
        Assert.Equal(2, result!["errors"]!.AsArray().Count);
    }

    [Fact]
    public async Task Discovery_TypesAndAttributes()
    {
        var type = await SeedAsync(2);
        using var types = await Client.SendAsync(Request(HttpMethod.Get, "/types"));
        var list = await ReadJsonAsync(types);
        Assert.Equal("EntityTypeList", list!["type"]!.GetValue<string>());
        Assert.Contains(type, list["typeList"]!.AsArray().Select(x => x!.GetValue<string>()));
        using var info = await Client.SendAsync(Request(HttpMethod.Get, $"/types/{type}"));
        var typeInfo = await ReadJsonAsync(info);
        Assert.Equal(2, typeInfo!["entityCount"]!.GetValue<int>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/default-context/" + type, typeInfo["id"]!.GetValue<string>());
        using var missingType = await Client.SendAsync(Request(HttpMethod.Get, "/types/NoSuchType"));
        Assert.Equal(HttpStatusCode.NotFound, missingType.StatusCode);
        using var attrs = await Client.SendAsync(Request(HttpMethod.Get, "/attributes?details=true"));
        var details = (await ReadJsonAsync(attrs))!.AsArray();
        Assert.Contains(details, d => d!["attributeName"]!.GetValue<string>() == "n");
        using var attr = await Client.SendAsync(Request(HttpMethod.Get, "/attributes/location"));
        var locationInfo = await ReadJsonAsync(attr);
        Assert.Equal(["GeoProperty"], locationInfo!["attributeTypes"]!.AsArray().Select(x => x!.GetValue<string>()));
        using var geo = await Client.SendAsync(Request(HttpMethod.Get, "/types", accept: "application/geo+json"));
        Assert.Equal(HttpStatusCode.NotAcceptable, geo.StatusCode);
    }
}
