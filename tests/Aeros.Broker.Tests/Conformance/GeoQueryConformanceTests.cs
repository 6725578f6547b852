using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §4.7 and §9 item 21: every georel through the API, incl. self-intersecting polygons like the suite's
/// building-location-polygon fixtures. Suite: 019_03_04, 019_10_01..08, 019_11_01..08.
/// </summary>
public sealed class GeoQueryConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private const string SquareCoords = "[[[13.39,52.55],[13.41,52.55],[13.41,52.56],[13.39,52.56],[13.39,52.55]]]";

    /// <summary>Seeds: p1 in Berlin, p2 ~3 km east, square around p1, a line through p1 (p1 inside it), a bow-tie far away.</summary>
    private async Task<string> SeedAsync()
    {
        var type = NewType("Geo");
        var entities = new (string Key, JsonObject Location)[]
        {
            ("p1", Geo("Point", new JsonArray(13.3986, 52.5547))),
            ("p2", Geo("Point", new JsonArray(13.45, 52.55))),
            ("square", Geo("Polygon", JsonNode.Parse(SquareCoords)!)),
            ("line", Geo("LineString", new JsonArray(new JsonArray(13.3986, 52.54), new JsonArray(13.3986, 52.58)))),
            ("bowtie", Geo("Polygon", JsonNode.Parse("[[[0,0],[1,1],[1,0],[0,1],[0,0]]]")!)),
        };
        foreach (var (key, location) in entities)
        {
            await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:{key}", ["type"] = type, ["location"] = location });
        }
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:nolocation", ["type"] = type });
        return type;
    }

    private async Task<string[]> GeoAsync(string type, string georel, string geometry, string coordinates)
    {
        var ids = await fx.QueryIdsAsync($"type={type}&georel={Uri.EscapeDataString(georel)}&geometry={geometry}&coordinates={Uri.EscapeDataString(coordinates)}");
        return [.. ids.Select(i => i[(i.LastIndexOf(':') + 1)..])];
    }

    [Fact]
    public async Task AllGeorels_ReturnTheExpectedEntities()
    {
        var type = await SeedAsync();
        Assert.Equal(["line", "p1", "square"], await GeoAsync(type, "near;maxDistance==2000", "Point", "[13.3986,52.5547]"));
        Assert.Equal(["bowtie", "p2"], await GeoAsync(type, "near;minDistance==2000", "Point", "[13.3986,52.5547]"));
        Assert.Equal(["p1", "square"], await GeoAsync(type, "within", "Polygon", SquareCoords));
        // A point contains itself (DE-9IM), so p1 matches as well.
        Assert.Equal(["line", "p1", "square"], await GeoAsync(type, "contains", "Point", "[13.3986,52.5547]"));
        Assert.Equal(["line", "p1", "square"], await GeoAsync(type, "intersects", "Polygon", SquareCoords));
        Assert.Equal(["p1"], await GeoAsync(type, "equals", "Point", "[13.3986,52.5547]"));
        Assert.Equal(["bowtie", "p2"], await GeoAsync(type, "disjoint", "Polygon", SquareCoords));
        Assert.Equal(["square"], await GeoAsync(type, "overlaps", "Polygon", "[[[13.40,52.555],[13.42,52.555],[13.42,52.565],[13.40,52.565],[13.40,52.555]]]"));
    }

    // testsuite-doubts §12/§34: self-intersecting polygons are stored and usable as query geometry.
    [Fact]
    public async Task SelfIntersectingPolygons_AreAcceptedAsDataAndAsQueryGeometry()
    {
        var type = await SeedAsync();
        Assert.Equal(["bowtie"], await GeoAsync(type, "intersects", "Point", "[0.8,0.5]"));
        Assert.Equal(["bowtie"], await GeoAsync(type, "intersects", "Polygon", "[[[0,0],[1,1],[1,0],[0,1],[0,0]]]"));
        Assert.Equal(["line", "p1", "p2", "square"], await GeoAsync(type, "disjoint", "Polygon", "[[[0,0],[1,1],[1,0],[0,1],[0,0]]]"));
    }

    // geoproperty selects the GeoProperty; entities without it never match.
    [Fact]
    public async Task GeoProperty_SelectsTarget()
    {
        var type = NewType("Geo");
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:a", ["type"] = type, ["location"] = Geo("Point", new JsonArray(0, 0)), ["area"] = Geo("Point", new JsonArray(13.3986, 52.5547)) });
        var ids = await fx.QueryIdsAsync($"type={type}&georel=near;maxDistance==10&geometry=Point&coordinates=[13.3986,52.5547]&geoproperty=area");
        Assert.Equal([$"urn:ngsi-ld:{type}:a"], ids);
        Assert.Empty(await fx.QueryIdsAsync($"type={type}&georel=near;maxDistance==10&geometry=Point&coordinates=[13.3986,52.5547]"));
    }

    // 019_03_04: invalid or incomplete geo-queries → 400 BadRequestData.
    [Theory]
    [InlineData("georel=nearby&geometry=Point&coordinates=[1,2]")]
    [InlineData("georel=near;maxDistance==-5&geometry=Point&coordinates=[1,2]")]
    [InlineData("georel=near&geometry=Point&coordinates=[1,2]")]
    [InlineData("georel=within&geometry=Point")]
    [InlineData("georel=within&coordinates=[1,2]")]
    [InlineData("geometry=Point&coordinates=[1,2]")]
    [InlineData("georel=within&geometry=Circle&coordinates=[1,2]")]
    [InlineData("georel=within&geometry=Point&coordinates=[1")]
    public async Task InvalidGeoQuery_Returns400(string parameters)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "/entities?type=T&" + parameters);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }
}
