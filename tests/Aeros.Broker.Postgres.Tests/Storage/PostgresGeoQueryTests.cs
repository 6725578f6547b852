using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Postgres.Schema;
using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// Geo-queries with PostGIS (the candidates narrowed in SQL by the geo layer) give exactly the entities the in-process
/// geo-query selects from all of them; the near query uses the GiST index; without PostGIS the store falls back.
/// </summary>
public sealed class PostgresGeoQueryTests
{
    private const string Location = "https://uri.etsi.org/ngsi-ld/location";
    private const string Area = "https://example.org/area";
    private const string Type = "https://example.org/Sensor";
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>Grid points, small squares, lines, a multi-point, an entity with two instances, one with a broken value and none.</summary>
    private static List<Entity> Seed(int columns, int rows)
    {
        var entities = new List<Entity>();
        for (var i = 0; i < columns; i++)
        {
            for (var j = 0; j < rows; j++)
            {
                entities.Add(Make($"urn:ngsi-ld:Sensor:p{i:D3}-{j:D3}", (Location, Point((1300 + i) / 100.0, (5230 + j) / 100.0))));
            }
        }
        for (var k = 0; k < 20; k++)
        {
            var (x, y) = ((1300 + (3 * k)) / 100.0, (5240 + k) / 100.0);
            entities.Add(Make($"urn:ngsi-ld:Sensor:square{k:D2}", (Location, Geo("Polygon",
                $"[[[{N(x)},{N(y)}],[{N(x + 0.02)},{N(y)}],[{N(x + 0.02)},{N(y + 0.02)}],[{N(x)},{N(y + 0.02)}],[{N(x)},{N(y)}]]]")),
                (Area, Point(x, y))));
        }
        for (var k = 0; k < 10; k++)
        {
            var x = (1310 + (5 * k)) / 100.0;
            entities.Add(Make($"urn:ngsi-ld:Sensor:line{k:D2}", (Location, Geo("LineString", $"[[{N(x)},52.2],[{N(x)},52.9]]"))));
        }
        entities.Add(Make("urn:ngsi-ld:Sensor:multi", (Location, Geo("MultiPoint", "[[13.25,52.45],[14.5,53.5]]"))));
        entities.Add(Make("urn:ngsi-ld:Sensor:bowtie", (Location, Geo("Polygon", "[[[13.2,52.4],[13.3,52.5],[13.3,52.4],[13.2,52.5],[13.2,52.4]]]"))));
        entities.Add(Make("urn:ngsi-ld:Sensor:broken", (Location, new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(500, 1) })));
        entities.Add(Make("urn:ngsi-ld:Sensor:none"));
        var two = Make("urn:ngsi-ld:Sensor:two", (Location, Point(10, 10)));
        two.Attributes[Location].Add(new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = Point(13.3, 52.5), DatasetId = "urn:ds:2", CreatedAt = Time, ModifiedAt = Time });
        entities.Add(two);
        return entities;
    }

    private static int Geometries(List<Entity> entities) =>
        entities.Sum(e => e.Attributes.Values.Sum(list => list.Count(a => GeoJsonGeometry.TryRead(a.Value) is not null)));

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static JsonObject Point(double lon, double lat) => new() { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };

    private static JsonObject Geo(string type, string coordinates) => new() { ["type"] = type, ["coordinates"] = JsonNode.Parse(coordinates) };

    private static Entity Make(string id, params (string Name, JsonObject Value)[] geo)
    {
        var entity = new Entity { Id = id, Types = [Type], CreatedAt = Time, ModifiedAt = Time };
        foreach (var (name, value) in geo)
        {
            entity.Attributes[name] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = value, CreatedAt = Time, ModifiedAt = Time }];
        }
        return entity;
    }

    private static async Task InsertAsync(PostgresTestDatabase database, List<Entity> entities)
    {
        foreach (var chunk in entities.Chunk(500))
        {
            await database.WriteAsync(s =>
            {
                foreach (var entity in chunk)
                {
                    Assert.True(s.Insert(entity));
                }
            });
        }
    }

    /// <summary>Every id the store returns for the query, page by page.</summary>
    private static async Task<List<string>> AllIdsAsync(PostgresTestDatabase database, GeoQuery geo)
    {
        var ids = new List<string>();
        for (var page = 0; page < 20; page++)
        {
            var found = await database.IdsAsync(new EntityQuery { Types = TypeExpression.Parse("Sensor", t => "https://example.org/" + t), Geo = geo, Limit = 1000, Offset = page * 1000 });
            ids.AddRange(found);
            if (found.Length < 1000)
            {
                return ids;
            }
        }
        throw new InvalidOperationException("More than 20 pages: the query returns too much.");
    }

    private static readonly (string Georel, string Geometry, string Coordinates, string Property)[] Queries =
    [
        ("near;maxDistance==2000", "Point", "[13.3,52.5]", Location),
        ("near;maxDistance==0", "Point", "[13.1,52.4]", Location),
        ("near;minDistance==30000", "Point", "[13.3,52.5]", Location),
        ("near;maxDistance==5000", "MultiPoint", "[[13.1,52.4],[13.5,52.6]]", Location),
        ("near;maxDistance==1000", "LineString", "[[13.2,52.4],[13.4,52.45]]", Location),
        ("near;maxDistance==3000", "Point", "[13.1,52.45]", Area),
        ("within", "Polygon", "[[[13.2,52.4],[13.3,52.4],[13.3,52.5],[13.2,52.5],[13.2,52.4]]]", Location),
        ("intersects", "Polygon", "[[[13.2,52.4],[13.3,52.4],[13.3,52.5],[13.2,52.5],[13.2,52.4]]]", Location),
        ("contains", "Point", "[13.105,52.405]", Location),
        ("overlaps", "Polygon", "[[[13.0,52.39],[13.2,52.39],[13.2,52.45],[13.0,52.45],[13.0,52.39]]]", Location),
        ("equals", "Point", "[13.1,52.4]", Location),
        ("disjoint", "Polygon", "[[[13.2,52.4],[13.3,52.4],[13.3,52.5],[13.2,52.5],[13.2,52.4]]]", Location),
        ("intersects", "Point", "[13.25,52.45]", Location),
    ];

    private static async Task AssertSameAsInProcessAsync(PostgresTestDatabase database, List<Entity> entities)
    {
        foreach (var (georel, geometry, coordinates, property) in Queries)
        {
            var geo = GeoQuery.Parse(georel, geometry, coordinates, property);
            var expected = entities.Where(geo.Matches).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
            var actual = await AllIdsAsync(database, geo);
            Assert.True(expected.SequenceEqual(actual),
                $"{georel} {geometry} {coordinates} on {property}: expected {expected.Count} ids, got {actual.Count}; "
                + $"missing [{string.Join(", ", expected.Except(actual).Take(5))}], extra [{string.Join(", ", actual.Except(expected).Take(5))}]");
        }
    }

    [Fact]
    public async Task QueryAsync_WithPostGis_SameResultsAsInProcessAndNearUsesGistIndex()
    {
        Assert.True(PostgresCluster.HasPostGis, "PostGIS is not installed: apt-get install postgresql-15-postgis-3");
        await using var database = await PostgresTestDatabase.CreateAsync("geo");
        Assert.Equal(GeoLayerState.Created, database.Store.GeoLayer); // a fresh database: created, with nothing to backfill
        var entities = Seed(80, 60);
        await InsertAsync(database, entities);

        await AssertSameAsInProcessAsync(database, entities);

        // One row per readable geometry: the broken value has none, "two" has two.
        Assert.Equal((long)Geometries(entities), await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
        var plan = await database.ExplainAsync(new EntityQuery
        {
            Types = TypeExpression.Parse("Sensor", t => "https://example.org/" + t),
            Geo = GeoQuery.Parse("near;maxDistance==2000", "Point", "[13.3,52.5]", Location),
        }, geo: true);
        Assert.Contains("entity_geo_puntal", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_UpdateAndDelete_KeepGeoLayerCurrent()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("geowrite");
        Assert.Equal(GeoLayerState.Created, database.Store.GeoLayer); // a fresh database: created, with nothing to backfill
        var near = GeoQuery.Parse("near;maxDistance==100", "Point", "[13.4,52.5]", Location);
        var query = new EntityQuery { Geo = near, Limit = 100 };
        await database.WriteAsync(s => s.Insert(Make("urn:ngsi-ld:Sensor:moving", (Location, Point(13.4, 52.5)))));
        Assert.Equal(["urn:ngsi-ld:Sensor:moving"], await database.IdsAsync(query));

        await database.WriteAsync(s => s.Update(Make("urn:ngsi-ld:Sensor:moving", (Location, Point(2.35, 48.85)))));
        Assert.Empty(await database.IdsAsync(query));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
        Assert.Equal(2.35, await database.ScalarAsync("SELECT ST_X(geom) FROM entity_geo"));

        await database.WriteAsync(s => Assert.True(s.Delete("urn:ngsi-ld:Sensor:moving")));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
    }

    [Fact]
    public async Task InitializeAsync_UsePostGisFalse_EvaluatesGeoQueriesInProcess()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("nogeo", usePostGis: false);
        Assert.Equal(GeoLayerState.Disabled, database.Store.GeoLayer);
        Assert.Contains(database.Logger.Entries, e => e.EventId.Id == 3452);
        var entities = Seed(10, 10);
        await InsertAsync(database, entities);

        await AssertSameAsInProcessAsync(database, entities);

        Assert.Equal(false, await database.ScalarAsync("SELECT to_regclass('entity_geo') IS NOT NULL"));
    }

    [Fact]
    public async Task InitializeAsync_PostGisCannotBeCreated_WarnsOnceAndFallsBack()
    {
        // A database without PostGIS (template0) owned by a role that may not create it (PostGIS is not a trusted
        // extension): as on a server where it is not installed, CREATE EXTENSION fails.
        var role = "plain_" + Guid.NewGuid().ToString("N")[..8];
        var name = "nopostgis_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = await PostgresTestDatabase.CreateAsync("admin", usePostGis: false))
        {
            await admin.ExecuteAsync($"CREATE ROLE {role} LOGIN");
            await admin.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE template0 OWNER {role}");
        }
        var connectionString = TestStore.Cluster.ConnectionString(name).Replace("Username=aeros", $"Username={role}", StringComparison.Ordinal);
        var logger = new RecordingLogger<PostgresEntityStore>();
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = connectionString });
        await using var store = new PostgresEntityStore(broker, Options.Create(new PostgresStoreOptions()), TimeProvider.System, logger,
            new EntityChangeFeed(), new ResourceChangeFeed());
        await store.InitializeAsync(CancellationToken.None).WaitAsync(PostgresTestDatabase.Deadline);

        Assert.Equal(GeoLayerState.Unavailable, store.GeoLayer);
        var warning = Assert.Single(logger.Entries, e => e.EventId.Id == 3450);
        Assert.Equal(LogLevel.Warning, warning.Level);
        await store.WriteAsync(Tenants.Default, false, s => s.Insert(Make("urn:ngsi-ld:Sensor:a", (Location, Point(13.4, 52.5)))), CancellationToken.None)
            .WaitAsync(PostgresTestDatabase.Deadline);
        var page = await store.QueryAsync(Tenants.Default,
            new EntityQuery { Geo = GeoQuery.Parse("near;maxDistance==10", "Point", "[13.4,52.5]", Location) }, CancellationToken.None).WaitAsync(PostgresTestDatabase.Deadline);
        Assert.Equal("urn:ngsi-ld:Sensor:a", Assert.Single(page.Entities).Id);
    }

    [Fact]
    public async Task InitializeAsync_GeoLayerMissing_CreatesAndBackfillsIt()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("geofill", usePostGis: false);
        var entities = Seed(10, 10);
        await InsertAsync(database, entities);

        await database.ReopenAsync(usePostGis: true);

        Assert.Equal(GeoLayerState.Created, database.Store.GeoLayer);
        var created = Assert.Single(database.Logger.Entries, e => e.EventId.Id == 3451);
        Assert.Contains($"({Geometries(entities)} geometries", created.Message, StringComparison.Ordinal);
        await AssertSameAsInProcessAsync(database, entities);
    }
}
