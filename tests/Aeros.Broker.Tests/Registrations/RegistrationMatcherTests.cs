using System.Text.Json.Nodes;
using Aeros.Broker.Query;
using Aeros.Broker.Registrations;
using Aeros.JsonLd;

namespace Aeros.Broker.Tests.Registrations;

/// <summary>Matching of requests against registrations (§5.12).</summary>
public sealed class RegistrationMatcherTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const string Vocab = "https://uri.etsi.org/ngsi-ld/default-context/";

    private static ContextSourceRegistration Build(string information, string mode = "inclusive")
    {
        var json = JsonNode.Parse($$"""{"id":"urn:ngsi-ld:ContextSourceRegistration:1","type":"ContextSourceRegistration","endpoint":"http://127.0.0.1:1","mode":"{{mode}}","information":{{information}}}""")!.AsObject();
        var canonical = RegistrationParser.Canonicalize(json, JsonLdContext.Core, Now, fragment: false);
        return RegistrationParser.Build(canonical, null, Now, Now);
    }

    private static TypeExpression Types(string text) => TypeExpression.Parse(text, JsonLdContext.Core.ExpandTerm);

    private static bool Matches(ContextSourceRegistration registration, RegistrationFilter filter) =>
        RegistrationMatcher.Matches(registration, filter, out _);

    [Fact]
    public void Matches_TypeOnlyRegistration_MatchesAnyIdOfThatType()
    {
        var registration = Build("""[{"entities":[{"type":"Vehicle"}]}]""");
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("Vehicle") }));
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("Vehicle"), Ids = ["urn:ngsi-ld:Vehicle:9"] }));
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("Car,Vehicle") }));
        Assert.False(Matches(registration, new RegistrationFilter { Types = Types("Car") }));
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("*") }));
        Assert.True(Matches(registration, new RegistrationFilter()));
    }

    [Fact]
    public void Matches_RegisteredId_MatchesThatIdOrAPatternCoveringIt()
    {
        var registration = Build("""[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A","type":"Vehicle"}]}]""");
        Assert.True(Matches(registration, new RegistrationFilter { Ids = ["urn:ngsi-ld:Vehicle:A"] }));
        Assert.True(Matches(registration, new RegistrationFilter { Ids = ["urn:ngsi-ld:Vehicle:B", "urn:ngsi-ld:Vehicle:A"] }));
        Assert.False(Matches(registration, new RegistrationFilter { Ids = ["urn:ngsi-ld:Vehicle:B"] }));
        Assert.True(Matches(registration, new RegistrationFilter { IdPattern = "urn:ngsi-ld:Vehicle:.*" }));
        Assert.False(Matches(registration, new RegistrationFilter { IdPattern = "urn:ngsi-ld:Car:.*" }));
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("Vehicle") }));
    }

    [Fact]
    public void Matches_RegisteredPattern_MatchesIdsItCoversAndOtherPatterns()
    {
        var registration = Build("""[{"entities":[{"idPattern":"urn:ngsi-ld:Vehicle:[A-C]","type":"Vehicle"}]}]""");
        Assert.True(Matches(registration, new RegistrationFilter { Ids = ["urn:ngsi-ld:Vehicle:B"] }));
        Assert.False(Matches(registration, new RegistrationFilter { Ids = ["urn:ngsi-ld:Vehicle:D"] }));
        Assert.False(Matches(registration, new RegistrationFilter { Ids = ["xurn:ngsi-ld:Vehicle:B"] }), "the pattern covers the whole id");
        Assert.True(Matches(registration, new RegistrationFilter { IdPattern = ".*" }));
    }

    [Fact]
    public void Matches_AttributeNames_NarrowedToTheRequestedOnes()
    {
        var registration = Build("""[{"entities":[{"type":"Vehicle"}],"propertyNames":["speed","brandName"],"relationshipNames":["isParked"]}]""");
        Assert.True(RegistrationMatcher.Matches(registration, new RegistrationFilter { Types = Types("Vehicle") }, out var all));
        Assert.Equal(new[] { Vocab + "brandName", Vocab + "isParked", Vocab + "speed" }, all!.Order(StringComparer.Ordinal));
        Assert.True(RegistrationMatcher.Matches(registration, new RegistrationFilter { Attrs = [Vocab + "speed", Vocab + "color"] }, out var some));
        Assert.Equal([Vocab + "speed"], some!);
        Assert.False(Matches(registration, new RegistrationFilter { Attrs = [Vocab + "color"] }));
    }

    [Fact]
    public void Matches_InformationWithoutNames_ServesEveryAttribute()
    {
        var registration = Build("""[{"entities":[{"type":"Vehicle"}]},{"propertyNames":["speed"]}]""");
        Assert.True(RegistrationMatcher.Matches(registration, new RegistrationFilter { Types = Types("Vehicle"), Attrs = [Vocab + "color"] }, out var attributes));
        Assert.Null(attributes);
        Assert.True(Matches(registration, new RegistrationFilter { Types = Types("Building"), Attrs = [Vocab + "speed"] }), "names alone match any type");
        Assert.False(Matches(registration, new RegistrationFilter { Types = Types("Building"), Attrs = [Vocab + "color"] }));
    }

    [Fact]
    public void Matches_ProvisionEntityTypes_MustIncludeTheRegisteredType()
    {
        var registration = Build("""[{"entities":[{"type":"Vehicle"}]}]""");
        Assert.True(Matches(registration, new RegistrationFilter { Ids = ["urn:x:1"], EntityTypes = [Vocab + "Car", Vocab + "Vehicle"] }));
        Assert.False(Matches(registration, new RegistrationFilter { Ids = ["urn:x:1"], EntityTypes = [Vocab + "Car"] }));
    }

    [Fact]
    public void Matches_PostQuerySelectors_AnyOneMatches()
    {
        var registration = Build("""[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A","type":"Vehicle"}]}]""");
        Assert.True(Matches(registration, new RegistrationFilter
        {
            Selectors = [new EntitySelector("urn:ngsi-ld:Car:1", null, Types("Car")), new EntitySelector(null, null, Types("Vehicle"))],
        }));
        Assert.False(Matches(registration, new RegistrationFilter
        {
            Selectors = [new EntitySelector("urn:ngsi-ld:Vehicle:B", null, Types("Vehicle"))],
        }));
    }

    [Fact]
    public void Build_DefaultsAndGroups_AreExpanded()
    {
        var registration = Build("""[{"entities":[{"type":"Vehicle"}]}]""");
        Assert.Equal(RegistrationMode.Inclusive, registration.Mode);
        Assert.True(registration.Supports("retrieveEntity"));
        Assert.True(registration.Supports("queryBatch"));
        Assert.False(registration.Supports("createEntity"));
        Assert.True(RegistrationOperations.TryExpand(["updateOps", "deleteEntity"], out var ops, out _));
        Assert.Equal(new[] { "deleteEntity", "replaceAttrs", "replaceEntity", "updateAttrs", "updateEntity" }, ops.Order(StringComparer.Ordinal));
        Assert.False(RegistrationOperations.TryExpand(["everything"], out _, out var unknown));
        Assert.Equal("everything", unknown);
    }

    [Fact]
    public void IsExpired_PastExpiresAt_IsTrue()
    {
        var json = JsonNode.Parse("""{"id":"urn:a:1","type":"ContextSourceRegistration","endpoint":"http://127.0.0.1:1","information":[{"propertyNames":["a"]}],"expiresAt":"2025-06-01T00:00:00Z"}""")!.AsObject();
        var registration = RegistrationParser.Build(RegistrationParser.Canonicalize(json, JsonLdContext.Core, Now, fragment: false), null, Now, Now);
        Assert.False(registration.IsExpired(Now));
        Assert.True(registration.IsExpired(new DateTimeOffset(2025, 6, 1, 0, 0, 1, TimeSpan.Zero)));
    }

    [Fact]
    public void Matches_GeoScopeAndDatasetId_RestrictRegistrationsThatHaveThem()
    {
        var json = JsonNode.Parse("""{"id":"urn:a:1","type":"ContextSourceRegistration","endpoint":"http://127.0.0.1:1","information":[{"entities":[{"type":"Vehicle"}]}],"location":{"type":"Point","coordinates":[13.4,52.5]},"scope":"/berlin","datasetId":"urn:ngsi-ld:Dataset:gps"}""")!.AsObject();
        var registration = RegistrationParser.Build(RegistrationParser.Canonicalize(json, JsonLdContext.Core, Now, fragment: false), null, Now, Now);
        var location = JsonLdContext.Core.ExpandTerm("location");
        var nearBerlin = GeoQuery.Parse("near;maxDistance==5000", "Point", "[13.41,52.5]", location);
        var nearParis = GeoQuery.Parse("near;maxDistance==5000", "Point", "[2.35,48.85]", location);
        Assert.True(Matches(registration, new RegistrationFilter { Geo = nearBerlin }));
        Assert.False(Matches(registration, new RegistrationFilter { Geo = nearParis }));
        Assert.True(Matches(registration, new RegistrationFilter { ScopeQ = ScopeExpression.Parse("/berlin") }));
        Assert.False(Matches(registration, new RegistrationFilter { ScopeQ = ScopeExpression.Parse("/paris") }));
        Assert.True(Matches(registration, new RegistrationFilter { DatasetIds = ["urn:ngsi-ld:Dataset:gps"] }));
        Assert.False(Matches(registration, new RegistrationFilter { DatasetIds = ["urn:ngsi-ld:Dataset:other"] }));
        var unrestricted = Build("""[{"entities":[{"type":"Vehicle"}]}]""");
        Assert.True(Matches(unrestricted, new RegistrationFilter { Geo = nearParis, ScopeQ = ScopeExpression.Parse("/paris"), DatasetIds = ["urn:x:y"] }));
    }
}
