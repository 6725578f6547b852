using System.Text.Json.Nodes;
using Aeros.Broker.Model;

namespace Aeros.Broker.Tests.Query;

/// <summary>Builds expanded entities for query tests: names are expanded with <see cref="Expand"/>.</summary>
internal sealed class TestEntities
{
    public const string Ns = "https://example.org/ns/";

    private readonly Entity _entity;

    private TestEntities(string id, string[] types)
    {
        _entity = new Entity
        {
            Id = id,
            Types = [.. types.Select(Expand)],
            CreatedAt = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ModifiedAt = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero),
        };
    }

    /// <summary>The test context: a term becomes <c>https://example.org/ns/term</c>; IRIs and prefixed names stay.</summary>
    public static string Expand(string name) => name.Contains(':', StringComparison.Ordinal) ? name : Ns + name;

    public static TestEntities Entity(string id = "urn:ngsi-ld:Building:1", params string[] types) =>
        new(id, types.Length == 0 ? ["Building"] : types);

    public TestEntities Scopes(params string[] scopes)
    {
        _entity.Scopes = [.. scopes];
        return this;
    }

    /// <summary>Adds an instance; <paramref name="json"/> is the JSON text of the value.</summary>
    public TestEntities Property(string name, string json, string? datasetId = null, string? observedAt = null, string? unitCode = null, AttributeMap? subAttributes = null) =>
        Add(name, Instance(AttributeKind.Property, json, datasetId, observedAt, unitCode, subAttributes));

    public TestEntities Relationship(string name, string objectUri, string? datasetId = null) =>
        Add(name, new NgsiAttribute { Kind = AttributeKind.Relationship, Value = JsonValue.Create(objectUri), DatasetId = datasetId });

    public TestEntities ListRelationship(string name, params string[] objectUris) =>
        Add(name, new NgsiAttribute { Kind = AttributeKind.ListRelationship, Value = new JsonArray([.. objectUris.Select(u => (JsonNode?)JsonValue.Create(u))]) });

    public TestEntities ListProperty(string name, string arrayJson) =>
        Add(name, Instance(AttributeKind.ListProperty, arrayJson));

    public TestEntities LanguageProperty(string name, string languageMapJson) =>
        Add(name, Instance(AttributeKind.LanguageProperty, languageMapJson));

    public TestEntities VocabProperty(string name, string expandedVocab) =>
        Add(name, new NgsiAttribute { Kind = AttributeKind.VocabProperty, Value = JsonValue.Create(expandedVocab) });

    public TestEntities GeoProperty(string name, string type, string coordinatesJson, string? datasetId = null) =>
        Add(name, new NgsiAttribute
        {
            Kind = AttributeKind.GeoProperty,
            Value = new JsonObject { ["type"] = type, ["coordinates"] = JsonNode.Parse(coordinatesJson) },
            DatasetId = datasetId,
        });

    public TestEntities Add(string name, NgsiAttribute instance)
    {
        var expanded = Expand(name);
        if (!_entity.Attributes.TryGetValue(expanded, out var instances))
        {
            _entity.Attributes[expanded] = instances = [];
        }
        instances.Add(instance);
        return this;
    }

    public Entity Build() => _entity;

    public static NgsiAttribute Instance(AttributeKind kind, string json, string? datasetId = null, string? observedAt = null, string? unitCode = null, AttributeMap? subAttributes = null) => new()
    {
        Kind = kind,
        Value = JsonNode.Parse(json),
        DatasetId = datasetId,
        ObservedAt = observedAt,
        UnitCode = unitCode,
        SubAttributes = subAttributes,
        CreatedAt = new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero),
        ModifiedAt = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero),
    };

    /// <summary>Sub-attributes keyed by expanded name.</summary>
    public static AttributeMap Subs(params (string Name, NgsiAttribute Instance)[] subs)
    {
        var map = new AttributeMap();
        foreach (var (name, instance) in subs)
        {
            var expanded = Expand(name);
            if (!map.TryGetValue(expanded, out var list))
            {
                map[expanded] = list = [];
            }
            list.Add(instance);
        }
        return map;
    }
}
