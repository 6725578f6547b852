using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Postgres.Schema;
using Aeros.Broker.Query;
using Aeros.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// Schema version 4 (long-string marks in <c>vals</c>, the scopes index) backfills a version-3 database; a broker that
/// started before the PostGIS layer existed notices it and keeps it current without a restart.
/// </summary>
public sealed class PostgresSchemaV4AndGeoAppearanceTests
{
    private const string Prefix = "https://example.org/";
    private const string Location = "https://uri.etsi.org/ngsi-ld/location";
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static Entity Make(string id, JsonNode? name = null, JsonObject? location = null)
    {
        var entity = new Entity { Id = id, Types = [Prefix + "Thing"], CreatedAt = Time, ModifiedAt = Time, Scopes = ["/x/y"] };
        if (name is not null)
        {
            entity.Attributes[Prefix + "name"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = name, CreatedAt = Time, ModifiedAt = Time }];
        }
        if (location is not null)
        {
            entity.Attributes[Location] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = location, CreatedAt = Time, ModifiedAt = Time }];
        }
        return entity;
    }

    private static JsonObject Point(double lon, double lat) => new() { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };

    [Fact]
    public async Task InitializeAsync_DatabaseAtVersion3_MarksLongStringsAndIndexesScopes()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("v4");
        var longName = "m" + new string('x', 299);
        await database.WriteAsync(s =>
        {
            s.Insert(Make("urn:long", new JsonArray("a", new JsonArray(longName))));
            s.Insert(Make("urn:long2", JsonValue.Create(longName)));
            s.Insert(Make("urn:short", JsonValue.Create("mm")));
        });
        var marked = (string)(await database.ScalarAsync("SELECT vals::text FROM entities WHERE id = 'urn:long'"))!;
        Assert.Contains("\"l\": true", marked, StringComparison.Ordinal);
        // The database as a broker of schema version 3 left it.
        await database.ExecuteAsync("UPDATE entities SET vals = (SELECT coalesce(jsonb_object_agg(key, value - 'l'), '{}') FROM jsonb_each(vals))");
        await database.ExecuteAsync("DROP INDEX entities_scopes");
        await database.ExecuteAsync("UPDATE aeros_schema SET version = 3");
        Assert.DoesNotContain("\"l\"", (string)(await database.ScalarAsync("SELECT vals::text FROM entities WHERE id = 'urn:long'"))!, StringComparison.Ordinal);

        await database.ReopenAsync();

        Assert.Equal(marked, await database.ScalarAsync("SELECT vals::text FROM entities WHERE id = 'urn:long'"));
        Assert.DoesNotContain("\"l\"", (string)(await database.ScalarAsync("SELECT vals::text FROM entities WHERE id = 'urn:short'"))!, StringComparison.Ordinal);
        var q = QExpression.Parse("name~=^mx", n => Prefix + n);
        Assert.Equal(["urn:long2"], await database.IdsAsync(new EntityQuery { Q = q }));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM pg_indexes WHERE indexname = 'entities_scopes'"));
    }

    [Fact]
    public async Task WriteAsync_GeoLayerCreatedByAnotherBroker_KeptCurrentWithoutRestart()
    {
        Assert.True(PostgresCluster.HasPostGis, "PostGIS is not installed: apt-get install postgresql-15-postgis-3");
        var time = new FakeTimeProvider(Time);
        await using var database = await PostgresTestDatabase.CreateAsync("geoappear", usePostGis: false, time);
        Assert.Equal(GeoLayerState.Disabled, database.Store.GeoLayer);
        await database.WriteAsync(s => s.Insert(Make("urn:a", location: Point(1, 1))));

        await using (var creator = await database.OpenOtherStoreAsync(usePostGis: true))
        {
            Assert.Equal(GeoLayerState.Created, creator.GeoLayer);
        }
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
        // Written before this broker looked again: not in the layer yet.
        await database.WriteAsync(s => s.Insert(Make("urn:b", location: Point(2, 2))));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));

        time.Advance(PostgresStoreOptions.DefaultGeoLayerCheckInterval);
        await database.WriteAsync(s => s.Insert(Make("urn:c", location: Point(3, 3))));

        Assert.Equal(GeoLayerState.Present, database.Store.GeoLayer);
        Assert.Contains(database.Logger.Entries, e => e.EventId.Id == 3461);
        Assert.Equal(3L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
        Assert.Equal(2.0, await database.ScalarAsync("SELECT ST_X(geom) FROM entity_geo WHERE id = 'urn:b'"));
        await database.WriteAsync(s => s.Update(Make("urn:b", location: Point(4, 4))));
        await database.WriteAsync(s => Assert.True(s.Delete("urn:a")));
        Assert.Equal(4.0, await database.ScalarAsync("SELECT ST_X(geom) FROM entity_geo WHERE id = 'urn:b'"));
        Assert.Equal(2L, await database.ScalarAsync("SELECT count(*) FROM entity_geo"));
        Assert.False(database.Store.GeoQueries); // UsePostGis=false: maintained for the others, not queried
    }
}
