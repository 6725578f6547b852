using System.Text;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Tests.Storage;

public sealed class StoredEntityCodecTests
{
    private static readonly DateTimeOffset Created = new DateTimeOffset(2025, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(1234567);
    private static readonly DateTimeOffset Modified = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.FromHours(5.5)).AddTicks(1);

    public static TheoryData<string, string> KindsAndValues => new()
    {
        { "Property", "21.5" },
        { "Property", "\"text with \\\"quotes\\\", ünïcödé and \\u0000\"" },
        { "Property", """{"nested":{"a":[1,2,{"b":null}]},"big":12345678901234567890123}""" },
        { "Property", "true" },
        { "Relationship", "\"urn:ngsi-ld:Building:1\"" },
        { "GeoProperty", """{"type":"Point","coordinates":[13.3986,52.5547]}""" },
        { "LanguageProperty", """{"en":"Hello","fr":"Bonjour"}""" },
        { "JsonProperty", """{"any":["json",1.5e10,false]}""" },
        { "VocabProperty", "\"https://example.org/vocab/Open\"" },
        { "ListProperty", "[1,\"two\",{\"three\":3}]" },
        { "ListRelationship", "[\"urn:a\",\"urn:b\"]" },
    };

    [Theory]
    [MemberData(nameof(KindsAndValues))]
    public void RoundTrip_EachAttributeKind_IsLossless(string kindName, string valueJson)
    {
        Assert.True(AttributeKinds.TryParse(kindName, out var kind));
        var entity = new Entity { Id = "urn:ngsi-ld:T:1", Types = ["https://example.org/T"], CreatedAt = Created, ModifiedAt = Modified };
        entity.Attributes["https://example.org/attr"] =
        [
            new NgsiAttribute
            {
                Kind = kind,
                Value = JsonNode.Parse(valueJson),
                ObservedAt = "2026-01-01T00:00:00.123Z",
                UnitCode = "CEL",
                ObjectType = AttributeKinds.IsRelationship(kind) ? JsonValue.Create("https://example.org/Building") : null,
                CreatedAt = Created,
                ModifiedAt = Modified,
            },
        ];

        AssertRoundTrip(entity);
    }

    [Fact]
    public void RoundTrip_FullEntity_KeepsEveryMemberAndOrder()
    {
        var entity = new Entity
        {
            Id = "urn:ngsi-ld:Vehicle:ä/1",
            Types = ["https://example.org/Vehicle", "https://example.org/Asset", "https://example.org/A"],
            Scopes = ["/Madrid/Gardens", "/Company1"],
            CreatedAt = Created,
            ModifiedAt = Modified,
        };
        entity.Attributes["https://example.org/z"] =
        [
            new NgsiAttribute { Kind = AttributeKind.Property, Value = 1, CreatedAt = Created, ModifiedAt = Created },
            new NgsiAttribute { Kind = AttributeKind.Property, Value = 2, DatasetId = "urn:ds:2", CreatedAt = Created, ModifiedAt = Modified },
            new NgsiAttribute { Kind = AttributeKind.Property, Value = 3, DatasetId = "urn:ds:1", CreatedAt = Modified, ModifiedAt = Modified },
        ];
        entity.Attributes["https://example.org/a"] =
        [
            new NgsiAttribute
            {
                Kind = AttributeKind.ListRelationship,
                Value = new JsonArray("urn:x", "urn:y"),
                ObjectType = new JsonArray("https://example.org/X", "https://example.org/Y"),
                SubAttributes = new AttributeMap
                {
                    ["https://example.org/sub2"] =
                    [
                        new NgsiAttribute
                        {
                            Kind = AttributeKind.Relationship,
                            Value = "urn:z",
                            SubAttributes = new AttributeMap
                            {
                                ["https://example.org/deep"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = new JsonObject { ["k"] = "v" } }],
                            },
                        },
                    ],
                    ["https://example.org/sub1"] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = JsonNode.Parse("""{"type":"Point","coordinates":[1,2]}""") }],
                },
            },
        ];
        entity.Attributes["https://example.org/empty"] =
        [
            new NgsiAttribute { Kind = AttributeKind.Property, Value = null, SubAttributes = new AttributeMap() },
        ];

        AssertRoundTrip(entity);
    }

    [Fact]
    public void RoundTrip_NullAndEmptyScopes_StayDistinct()
    {
        var withNull = new Entity { Id = "urn:a", Scopes = null };
        var withEmpty = new Entity { Id = "urn:b", Scopes = [] };

        Assert.Null(StoredEntityCodec.Decode(StoredEntityCodec.Encode(withNull)).Scopes);
        Assert.Empty(StoredEntityCodec.Decode(StoredEntityCodec.Encode(withEmpty)).Scopes!);
    }

    [Fact]
    public void RoundTrip_ExtremeTimestamps_KeepTicksAndOffset()
    {
        var entity = new Entity
        {
            Id = "urn:t",
            CreatedAt = DateTimeOffset.MinValue,
            ModifiedAt = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.FromHours(-14)).AddTicks(9_999_999),
        };

        var decoded = StoredEntityCodec.Decode(StoredEntityCodec.Encode(entity));

        Assert.Equal(entity.CreatedAt.Ticks, decoded.CreatedAt.Ticks);
        Assert.Equal(entity.CreatedAt.Offset, decoded.CreatedAt.Offset);
        Assert.Equal(entity.ModifiedAt.Ticks, decoded.ModifiedAt.Ticks);
        Assert.Equal(entity.ModifiedAt.Offset, decoded.ModifiedAt.Offset);
    }

    [Fact]
    public void Decode_UnknownMembers_AreSkipped()
    {
        var json = """{"f":1,"future":{"x":[1,2]},"id":"urn:a","t":["T"],"c":0,"m":0,"a":{"n":[{"k":"P","v":1,"new":true}]}}""";

        var entity = StoredEntityCodec.Decode(Encoding.UTF8.GetBytes(json));

        Assert.Equal("urn:a", entity.Id);
        Assert.Equal(1, entity.Attributes["n"][0].Value!.GetValue<int>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"f":1,"t":[]}""")]
    [InlineData("""{"f":99,"id":"urn:a"}""")]
    [InlineData("""{"f":1,"id":"urn:a","a":{"n":[{"k":"X"}]}}""")]
    public void Decode_BadData_ThrowsInvalidData(string json)
    {
        Assert.Throws<InvalidDataException>(() => StoredEntityCodec.Decode(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void DecodeSelected_Names_OnlyThoseAttributesEveryOtherMemberKept()
    {
        var entity = new Entity
        {
            Id = "urn:ngsi-ld:T:1",
            Types = ["https://example.org/T", "https://example.org/U"],
            Scopes = ["/a/b"],
            CreatedAt = Created,
            ModifiedAt = Modified,
        };
        foreach (var name in new[] { "https://example.org/a", "https://example.org/\u00e9", "https://example.org/c" })
        {
            entity.Attributes[name] =
            [
                new NgsiAttribute
                {
                    Kind = AttributeKind.Property,
                    Value = JsonNode.Parse("""{"nested":[1,{"x":"y"}]}"""),
                    CreatedAt = Created,
                    ModifiedAt = Modified,
                    SubAttributes = new AttributeMap { ["https://example.org/a"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = 1 }] },
                },
            ];
        }
        var bytes = StoredEntityCodec.Encode(entity);

        var selected = StoredEntityCodec.DecodeSelected(bytes, ["https://example.org/c", "https://example.org/\u00e9", "https://example.org/missing"]);
        var none = StoredEntityCodec.DecodeSelected(bytes, []);

        var expected = StoredEntityCodec.Decode(bytes);
        expected.Attributes.Remove("https://example.org/a");
        AssertSame(expected, selected);
        Assert.Empty(none.Attributes);
        Assert.Equal(entity.Types, none.Types);
        Assert.Equal(entity.Scopes, none.Scopes);
        Assert.Equal(entity.Id, none.Id);
    }

    [Fact]
    public void Encode_IsCompact()
    {
        var entity = TestEntities.Make("urn:ngsi-ld:Vehicle:1", TestEntities.Vehicle, (TestEntities.Speed, 80));

        var bytes = StoredEntityCodec.Encode(entity);

        Assert.True(bytes.Length < 240, $"{bytes.Length} bytes: {Encoding.UTF8.GetString(bytes)}");
    }

    private static void AssertRoundTrip(Entity entity)
    {
        var bytes = StoredEntityCodec.Encode(entity);
        var decoded = StoredEntityCodec.Decode(bytes);

        AssertSame(entity, decoded);
        Assert.Equal(bytes, StoredEntityCodec.Encode(decoded));
    }

    internal static void AssertSame(Entity expected, Entity actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Types, actual.Types);
        Assert.Equal(expected.Scopes, actual.Scopes);
        AssertSameTime(expected.CreatedAt, actual.CreatedAt);
        AssertSameTime(expected.ModifiedAt, actual.ModifiedAt);
        AssertSame(expected.Attributes, actual.Attributes);
    }

    private static void AssertSame(AttributeMap? expected, AttributeMap? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        Assert.Equal(expected.Keys, actual.Keys); // order too
        foreach (var (name, instances) in expected)
        {
            var other = actual[name];
            Assert.Equal(instances.Count, other.Count);
            for (var i = 0; i < instances.Count; i++)
            {
                var (e, a) = (instances[i], other[i]);
                Assert.Equal(e.Kind, a.Kind);
                Assert.True(JsonNode.DeepEquals(e.Value, a.Value), $"{name}: {e.Value?.ToJsonString()} != {a.Value?.ToJsonString()}");
                Assert.Equal(e.DatasetId, a.DatasetId);
                Assert.Equal(e.ObservedAt, a.ObservedAt);
                Assert.Equal(e.UnitCode, a.UnitCode);
                Assert.True(JsonNode.DeepEquals(e.ObjectType, a.ObjectType));
                AssertSameTime(e.CreatedAt, a.CreatedAt);
                AssertSameTime(e.ModifiedAt, a.ModifiedAt);
                AssertSame(e.SubAttributes, a.SubAttributes);
            }
        }
    }

    private static void AssertSameTime(DateTimeOffset expected, DateTimeOffset actual)
    {
        Assert.Equal(expected.Ticks, actual.Ticks);
        Assert.Equal(expected.Offset, actual.Offset);
    }
}
