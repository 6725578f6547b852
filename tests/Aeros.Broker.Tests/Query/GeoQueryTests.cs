using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using static Aeros.Broker.Tests.Query.TestEntities;

namespace Aeros.Broker.Tests.Query;

public sealed class GeoQueryTests
{
    private const string Location = Ns + "location";

    // Brandenburg Gate, Alexanderplatz, Potsdam (lon, lat). Haversine (R = 6 371 008.8 m):
    // Gate–Alexanderplatz 2481.40 m, Gate–Potsdam 25412.43 m.
    private const string Gate = "[13.3777,52.5163]";
    private const string Alexanderplatz = "[13.4132,52.5219]";
    private const string Potsdam = "[13.0645,52.3906]";
    private const string CentreBox = "[[[13.30,52.50],[13.45,52.50],[13.45,52.55],[13.30,52.55],[13.30,52.50]]]";

    // A self-intersecting "bowtie": lobes west (13.30–13.35) and east (13.35–13.40), crossing at (13.35, 52.525).
    private const string Bowtie = "[[[13.30,52.50],[13.40,52.55],[13.40,52.50],[13.30,52.55],[13.30,52.50]]]";

    private static Entity At(string type, string coordinates) =>
        Entity("urn:ngsi-ld:Thing:x", "Thing").GeoProperty("location", type, coordinates).Build();

    private static bool Geo(string georel, string geometry, string coordinates, Entity entity) =>
        GeoQuery.Parse(georel, geometry, coordinates, Location).Matches(entity);

    [Fact]
    public void Haversine_BerlinLandmarks_KnownDistances()
    {
        Assert.Equal(2481.40, GeodesicDistance.Haversine(13.3777, 52.5163, 13.4132, 52.5219), 2);
        Assert.Equal(25412.43, GeodesicDistance.Haversine(13.3777, 52.5163, 13.0645, 52.3906), 2);
        Assert.Equal(0, GeodesicDistance.Haversine(13.3777, 52.5163, 13.3777, 52.5163));
    }

    [Theory]
    [InlineData("near;maxDistance==2500", Alexanderplatz, true)]
    [InlineData("near;maxDistance==2481", Alexanderplatz, false)]
    [InlineData("near;maxDistance==2482", Alexanderplatz, true)]
    [InlineData("near;minDistance==2481", Alexanderplatz, true)]
    [InlineData("near;minDistance==2482", Alexanderplatz, false)]
    [InlineData("near;maxDistance==25000", Potsdam, false)]
    [InlineData("near;maxDistance==25413", Potsdam, true)]
    [InlineData("near;minDistance==25000", Potsdam, true)]
    [InlineData("near;maxDistance==0", Gate, true)]
    [InlineData(" near ; maxDistance == 2500 ", Alexanderplatz, true)]
    [InlineData("near;maxDistance==2.5e3", Alexanderplatz, true)]
    public void Matches_NearPoints_UsesHaversineMetres(string georel, string entityPoint, bool expected) =>
        Assert.Equal(expected, Geo(georel, "Point", Gate, At("Point", entityPoint)));

    [Fact]
    public void Matches_NearLineString_UsesNearestPointDistance()
    {
        // A meridian segment at lon 13.40; the Gate is ~1508.96 m west of it.
        var line = At("LineString", "[[13.40,52.50],[13.40,52.53]]");
        Assert.True(Geo("near;maxDistance==1512", "Point", Gate, line));
        Assert.False(Geo("near;maxDistance==1506", "Point", Gate, line));
        Assert.True(Geo("near;minDistance==1506", "Point", Gate, line));
        Assert.False(Geo("near;minDistance==1512", "Point", Gate, line));
    }

    [Fact]
    public void Matches_NearPolygon_ZeroInsideAndEdgeDistanceOutside()
    {
        var box = At("Polygon", CentreBox);
        Assert.True(Geo("near;maxDistance==1", "Point", Gate, box));
        Assert.False(Geo("near;minDistance==1", "Point", Gate, box));
        // The box's nearest point to Potsdam is its south-west corner (13.30, 52.50): haversine 20068.32 m.
        Assert.False(Geo("near;maxDistance==20060", "Point", Potsdam, box));
        Assert.True(Geo("near;maxDistance==20075", "Point", Potsdam, box));
        var reference = GeoQuery.Parse("near;maxDistance==1", "Point", Potsdam, Location).Reference;
        var target = GeoQuery.Parse("within", "Polygon", CentreBox, Location).Reference;
        Assert.Equal(20068.32, GeodesicDistance.Between(reference, target), 1);
    }

    [Fact]
    public void Matches_NearMultiPointReference_UsesClosestPoint()
    {
        Assert.True(Geo("near;maxDistance==10", "MultiPoint", $"[{Potsdam},{Alexanderplatz}]", At("Point", Alexanderplatz)));
    }

    [Theory]
    [InlineData("Point", Gate, true)]
    [InlineData("Point", Potsdam, false)]
    [InlineData("LineString", "[[13.38,52.51],[13.41,52.52]]", true)]
    [InlineData("LineString", "[[13.38,52.51],[13.50,52.52]]", false)]
    [InlineData("Polygon", "[[[13.35,52.51],[13.40,52.51],[13.40,52.53],[13.35,52.51]]]", true)]
    [InlineData("Polygon", "[[[13.35,52.51],[13.50,52.51],[13.50,52.53],[13.35,52.51]]]", false)]
    public void Matches_Within_TargetInsideReference(string type, string coordinates, bool expected) =>
        Assert.Equal(expected, Geo("within", "Polygon", CentreBox, At(type, coordinates)));

    [Theory]
    [InlineData("Point", Gate, true)]
    [InlineData("Point", Potsdam, false)]
    [InlineData("LineString", "[[13.38,52.51],[13.41,52.52]]", true)]
    public void Matches_Contains_TargetContainsReference(string referenceType, string reference, bool expected) =>
        Assert.Equal(expected, Geo("contains", referenceType, reference, At("Polygon", CentreBox)));

    [Theory]
    [InlineData("LineString", "[[13.20,52.52],[13.40,52.52]]", "intersects", true)]
    [InlineData("LineString", "[[13.20,52.52],[13.25,52.52]]", "intersects", false)]
    [InlineData("LineString", "[[13.20,52.52],[13.25,52.52]]", "disjoint", true)]
    [InlineData("Point", Gate, "disjoint", false)]
    [InlineData("Point", Potsdam, "disjoint", true)]
    [InlineData("Polygon", "[[[13.40,52.52],[13.50,52.52],[13.50,52.60],[13.40,52.60],[13.40,52.52]]]", "overlaps", true)]
    [InlineData("Polygon", "[[[13.31,52.51],[13.32,52.51],[13.32,52.52],[13.31,52.52],[13.31,52.51]]]", "overlaps", false)]
    [InlineData("Polygon", "[[[13.45,52.50],[13.45,52.55],[13.30,52.55],[13.30,52.50],[13.45,52.50]]]", "equals", true)]
    [InlineData("Polygon", "[[[13.45,52.50],[13.45,52.56],[13.30,52.55],[13.30,52.50],[13.45,52.50]]]", "equals", false)]
    [InlineData("MultiPolygon", "[[[[13.31,52.51],[13.32,52.51],[13.32,52.52],[13.31,52.52],[13.31,52.51]]],[[[13.0,52.0],[13.1,52.0],[13.1,52.1],[13.0,52.0]]]]", "intersects", true)]
    [InlineData("MultiLineString", "[[[13.0,52.0],[13.1,52.1]],[[13.0,52.2],[13.1,52.2]]]", "disjoint", true)]
    [InlineData("MultiPoint", "[[13.0,52.0],[13.35,52.52]]", "intersects", true)]
    public void Matches_DeRelations_AgainstBox(string type, string coordinates, string georel, bool expected) =>
        Assert.Equal(expected, Geo(georel, "Polygon", CentreBox, At(type, coordinates)));

    [Fact]
    public void Matches_EqualsPoints_SamePosition()
    {
        Assert.True(Geo("equals", "Point", Gate, At("Point", Gate)));
        Assert.False(Geo("equals", "Point", Gate, At("Point", Alexanderplatz)));
    }

    [Fact]
    public void Matches_SelfIntersectingEntityPolygon_IsEvaluatedNotRejected()
    {
        var bowtie = At("Polygon", Bowtie);
        Assert.True(Geo("intersects", "Point", "[13.31,52.525]", bowtie)); // inside the west lobe
        Assert.True(Geo("intersects", "Point", "[13.39,52.525]", bowtie)); // inside the east lobe
        Assert.False(Geo("intersects", "Point", "[13.35,52.545]", bowtie)); // between the lobes, north
        Assert.True(Geo("within", "Polygon", CentreBox, bowtie));
        Assert.True(Geo("contains", "Point", "[13.31,52.525]", bowtie));
        Assert.True(Geo("near;maxDistance==10", "Point", "[13.31,52.525]", bowtie));
        Assert.True(Geo("near;minDistance==500", "Point", "[13.35,52.545]", bowtie));
        Assert.True(Geo("equals", "Polygon", Bowtie, bowtie));
        Assert.False(Geo("disjoint", "Polygon", CentreBox, bowtie));
    }

    [Fact]
    public void Matches_SelfIntersectingReferencePolygon_IsAccepted()
    {
        Assert.True(Geo("within", "Polygon", Bowtie, At("Point", "[13.31,52.525]")));
        Assert.False(Geo("within", "Polygon", Bowtie, At("Point", "[13.35,52.545]")));
        Assert.True(Geo("intersects", "Polygon", Bowtie, At("Polygon", CentreBox)));
    }

    [Fact]
    public void Matches_AnyInstanceOfGeoProperty_Matches()
    {
        var entity = Entity("urn:ngsi-ld:Thing:x", "Thing")
            .GeoProperty("location", "Point", Potsdam)
            .GeoProperty("location", "Point", Alexanderplatz, datasetId: "urn:ngsi-ld:Dataset:gps")
            .Build();
        Assert.True(Geo("near;maxDistance==2500", "Point", Gate, entity));
        Assert.True(Geo("near;minDistance==20000", "Point", Gate, entity));
        Assert.False(Geo("near;maxDistance==1000", "Point", Gate, entity));
    }

    [Fact]
    public void Matches_EntityWithoutGeoProperty_NeverMatches()
    {
        var entity = Entity().Property("name", "\"x\"").Build();
        Assert.False(Geo("disjoint", "Point", Gate, entity));
        Assert.False(Geo("near;minDistance==1", "Point", Gate, entity));
    }

    [Fact]
    public void Matches_OtherGeoProperty_UsesTheGivenName()
    {
        var entity = Entity("urn:ngsi-ld:Thing:x", "Thing").GeoProperty("observationSpace", "Point", Gate).Build();
        Assert.True(GeoQuery.Parse("intersects", "Point", Gate, Ns + "observationSpace").Matches(entity));
        Assert.False(GeoQuery.Parse("intersects", "Point", Gate, Location).Matches(entity));
    }

    [Fact]
    public void Matches_InvalidStoredGeometry_DoesNotMatch()
    {
        var entity = Entity("urn:ngsi-ld:Thing:x", "Thing").GeoProperty("location", "Point", "[\"a\",1]").Build();
        Assert.False(Geo("disjoint", "Point", Gate, entity));
    }

    [Fact]
    public void Parse_NearQuery_ExposesRelationAndDistance()
    {
        var query = GeoQuery.Parse("near;minDistance==100", "Point", Gate, Location);
        Assert.Equal(GeoRelation.Near, query.Relation);
        Assert.Equal(100, query.MinDistance);
        Assert.Null(query.MaxDistance);
        Assert.Equal(Location, query.GeoProperty);
    }

    [Theory]
    [InlineData("near", "Point", Gate)]
    [InlineData("near;maxDistance", "Point", Gate)]
    [InlineData("near;maxDistance==", "Point", Gate)]
    [InlineData("near;maxDistance==-5", "Point", Gate)]
    [InlineData("near;maxDistance==abc", "Point", Gate)]
    [InlineData("near;distance==5", "Point", Gate)]
    [InlineData("near;maxDistance==5;minDistance==1", "Point", Gate)]
    [InlineData("nearby", "Point", Gate)]
    [InlineData("within;maxDistance==5", "Point", Gate)]
    [InlineData("", "Point", Gate)]
    [InlineData("within", "", Gate)]
    [InlineData("within", "Point", "")]
    [InlineData("within", "GeometryCollection", "[]")]
    [InlineData("within", "Circle", Gate)]
    [InlineData("within", "point", Gate)]
    [InlineData("within", "Point", "[13.3,52.5")]
    [InlineData("within", "Point", "[[13.3,52.5]]")]
    [InlineData("within", "Point", "[13.3]")]
    [InlineData("within", "Point", "[\"13.3\",52.5]")]
    [InlineData("within", "Point", "[13.3,95]")]
    [InlineData("within", "Point", "{\"x\":1}")]
    [InlineData("within", "LineString", "[[13.3,52.5]]")]
    [InlineData("within", "MultiPoint", "[13.3,52.5]")]
    [InlineData("within", "Polygon", "[[[13.3,52.5],[13.4,52.5],[13.4,52.6],[13.3,52.6]]]")]
    [InlineData("within", "Polygon", "[[[13.3,52.5],[13.4,52.5],[13.3,52.5]]]")]
    [InlineData("within", "Polygon", "[[13.3,52.5],[13.4,52.5],[13.4,52.6],[13.3,52.5]]")]
    [InlineData("within", "MultiPolygon", CentreBox)]
    [InlineData("within", "MultiLineString", "[[13.3,52.5],[13.4,52.5]]")]
    public void Parse_InvalidGeoQuery_ThrowsBadRequestData(string georel, string geometry, string coordinates)
    {
        var e = Assert.Throws<NgsiLdException>(() => GeoQuery.Parse(georel, geometry, coordinates, Location));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
    }
}
