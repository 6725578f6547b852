using System.Text;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Storage;
using Aeros.Broker.Subscriptions;
using Aeros.Broker.Tests.Query;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>
/// Matching on stored bytes (<see cref="ChangeAnalysis.AnalyzeStored"/>) must fire exactly what matching on decoded
/// entities fires, or say it cannot tell.
/// </summary>
public sealed class StoredChangeAnalysisTests
{
    private const string Watched = "https://example.org/speed";
    private const string Other = "https://example.org/name";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NgsiAttribute Instance(string valueJson, string? datasetId = null, string? unitCode = null, string? observedAt = null,
        AttributeKind kind = AttributeKind.Property, int minutes = 0, AttributeMap? subAttributes = null)
    {
        // modifiedAt moves by the given minutes: the comparison must ignore it.
        var instance = TestEntities.Instance(kind, valueJson, datasetId, observedAt, unitCode, subAttributes);
        instance.ModifiedAt = instance.ModifiedAt.AddMinutes(minutes);
        return instance;
    }

    private static Entity Entity(string name, params NgsiAttribute[] instances)
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Vehicle:1", Types = ["https://example.org/Vehicle"], Scopes = ["/a/b"], CreatedAt = T0, ModifiedAt = T0 };
        if (instances.Length > 0)
        {
            entity.Attributes[name] = [.. instances];
        }
        entity.Attributes[Other] = [Instance("\"car\"")];
        return entity;
    }

    private static NotificationTriggers? Stored(Entity? before, Entity? after, IReadOnlyList<string> watched, IReadOnlyList<string>? datasetIds)
    {
        IReadOnlyList<byte[]> utf8 = [.. watched.Select(Encoding.UTF8.GetBytes)];
        var b = before is null ? null : new StoredWatch(StoredEntityCodec.Encode(before), utf8, header: after is null);
        var a = after is null ? null : new StoredWatch(StoredEntityCodec.Encode(after), utf8, header: true);
        return ChangeAnalysis.AnalyzeStored(b, a, datasetIds);
    }

    private static NotificationTriggers Decoded(Entity? before, Entity? after, IReadOnlyList<string> watched, IReadOnlyList<string>? datasetIds) =>
        ChangeAnalysis.Analyze(
            before is null ? null : StoredEntityCodec.Decode(StoredEntityCodec.Encode(before)),
            after is null ? null : StoredEntityCodec.Decode(StoredEntityCodec.Encode(after)),
            watched, datasetIds).Fired;

    public static TheoryData<string, string, string> ValuePairs => new()
    {
        // before, after, what the decoded comparison says (same / different)
        { "1", "1", "same" },
        { "1", "2", "different" },
        { "1", "1.0", "same" },
        { "1.5", "1.50", "same" },
        { "1e2", "100", "same" },
        { "1e-30", "2e-30", "different" },
        { "0.0000000000000000000000000000001", "0.0000000000000000000000000000002", "different" },
        { "12345678901234567890123456789012345", "12345678901234567890123456789012346", "different" },
        { "0.1", "0.2", "different" },
        { "\"a\"", "\"b\"", "different" },
        { "\"a\\\"b\"", "\"a\\\"b\"", "same" },
        { "\"é\"", "\"\\u00e9\"", "same" },
        { "\"1\"", "1", "different" },
        { "true", "false", "different" },
        { "true", "true", "same" },
        { """{"x":1,"y":2}""", """{"x":1,"y":2}""", "same" },
        { """{"x":1,"y":2}""", """{"y":2,"x":1}""", "same" },
        { """{"x":1}""", """{"x":2}""", "different" },
        { "[1,2]", "[2,1]", "different" },
        { "[1,2]", "[1,2.0]", "same" },
        { """{"x":1}""", "[1]", "different" },
        { """{"x":1}""", "1", "different" },
    };

    [Theory]
    [MemberData(nameof(ValuePairs))]
    public void AnalyzeStored_ValueChanges_FiresWhatDecodedAnalysisFires(string before, string after, string expected)
    {
        var old = Entity(Watched, Instance(before));
        var current = Entity(Watched, Instance(after, minutes: 5));

        var decoded = Decoded(old, current, [Watched], null);
        var stored = Stored(old, current, [Watched], null);

        Assert.Equal(expected == "same" ? NotificationTriggers.None : NotificationTriggers.AttributeUpdated | NotificationTriggers.EntityUpdated, decoded);
        Assert.True(stored is null || stored == decoded, $"stored bytes said {stored}, decoded entities {decoded}");
    }

    [Theory]
    [InlineData("1", "2")]
    [InlineData("1", "1.0")]
    [InlineData("-0.25", "-0.250")]
    [InlineData("\"a\"", "\"b\"")]
    [InlineData("true", "false")]
    [InlineData("""{"x":1}""", """{"x":1}""")]
    public void AnalyzeStored_ScalarsAndEqualObjects_DecidedFromTheBytes(string before, string after)
    {
        Assert.NotNull(Stored(Entity(Watched, Instance(before)), Entity(Watched, Instance(after, minutes: 1)), [Watched], null));
    }

    [Fact]
    public void AnalyzeStored_ReorderedObject_LeftToTheDecodedComparison()
    {
        Assert.Null(Stored(Entity(Watched, Instance("""{"x":1,"y":2}""")), Entity(Watched, Instance("""{"y":2,"x":1}""")), [Watched], null));
    }

    [Fact]
    public void AnalyzeStored_SubAttributes_LeftToTheDecodedComparison()
    {
        var subs = new AttributeMap { ["https://example.org/accuracy"] = [Instance("1")] };

        Assert.Null(Stored(Entity(Watched, Instance("1", subAttributes: subs)), Entity(Watched, Instance("1", minutes: 1, subAttributes: subs)), [Watched], null));
    }

    public static TheoryData<string> MemberChanges => new() { "unitCode", "observedAt", "kind", "datasetId", "added", "removed", "secondInstance", "onlyTimestamps", "other" };

    [Theory]
    [MemberData(nameof(MemberChanges))]
    public void AnalyzeStored_MemberAndInstanceChanges_FireWhatDecodedAnalysisFires(string change)
    {
        var old = Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z"));
        var current = change switch
        {
            "unitCode" => Entity(Watched, Instance("5", unitCode: "MPH", observedAt: "2026-01-01T00:00:00Z")),
            "observedAt" => Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:01Z")),
            "kind" => Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z", kind: AttributeKind.JsonProperty)),
            "datasetId" => Entity(Watched, Instance("5", datasetId: "urn:d:1", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z")),
            "added" => Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z"), Instance("6", datasetId: "urn:d:2")),
            "removed" => Entity(Watched),
            "secondInstance" => Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z", minutes: 3), Instance("7", datasetId: "urn:d:3")),
            "onlyTimestamps" => Entity(Watched, Instance("5", unitCode: "KMH", observedAt: "2026-01-01T00:00:00Z", minutes: 9)),
            _ => Entity(Other, Instance("5")),
        };

        foreach (var datasetIds in new IReadOnlyList<string>?[] { null, ["@none"], ["urn:d:1"], ["urn:d:2", "urn:d:3"] })
        {
            var decoded = Decoded(old, current, [Watched], datasetIds);
            Assert.Equal(decoded, Stored(old, current, [Watched], datasetIds));
            Assert.Equal(Decoded(current, old, [Watched], datasetIds), Stored(current, old, [Watched], datasetIds));
        }
    }

    [Fact]
    public void AnalyzeStored_CreationAndDeletion_FireWhatDecodedAnalysisFires()
    {
        var with = Entity(Watched, Instance("1", datasetId: "urn:d:1"));
        var without = Entity(Watched);
        foreach (var entity in new[] { with, without })
        {
            foreach (var datasetIds in new IReadOnlyList<string>?[] { null, ["urn:d:1"], ["@none"] })
            {
                Assert.Equal(Decoded(null, entity, [Watched], datasetIds), Stored(null, entity, [Watched], datasetIds));
                Assert.Equal(Decoded(entity, null, [Watched], datasetIds), Stored(entity, null, [Watched], datasetIds));
            }
        }
        Assert.Equal(NotificationTriggers.EntityCreated | NotificationTriggers.AttributeCreated, Stored(null, with, [Watched], null));
        Assert.Equal(NotificationTriggers.EntityDeleted | NotificationTriggers.AttributeDeleted, Stored(with, null, [Watched], null));
    }

    [Fact]
    public void AnalyzeStored_SeveralWatchedNames_FiresForAnyOfThem()
    {
        var old = Entity(Watched, Instance("1"));
        var current = Entity(Watched, Instance("1", minutes: 1));
        current.Attributes[Other] = [Instance("\"bike\"")];

        Assert.Equal(NotificationTriggers.AttributeUpdated | NotificationTriggers.EntityUpdated, Stored(old, current, [Watched, Other], null));
        Assert.Equal(NotificationTriggers.None, Stored(old, current, [Watched], null));
    }

    [Fact]
    public void ReadWatched_EscapedAndNonAsciiNames_FoundWithTheHeader()
    {
        const string quoted = "https://example.org/a\"b";
        const string accented = "https://example.org/é";
        var entity = Entity(Watched, Instance("1"));
        entity.Attributes[quoted] = [Instance("2")];
        entity.Attributes[accented] = [Instance("3", datasetId: "urn:d:é")];
        var bytes = StoredEntityCodec.Encode(entity);
        List<StoredInstance>[] found = [[], [], [], []];

        var header = StoredEntityCodec.ReadWatched(bytes, [.. new[] { accented, quoted, "https://example.org/missing", Watched }.Select(Encoding.UTF8.GetBytes)], found, header: true);

        Assert.Equal("urn:d:é", Assert.Single(found[0]).DatasetId);
        Assert.StartsWith("{\"k\":\"P\",\"v\":2,", Encoding.UTF8.GetString(bytes.AsSpan(Assert.Single(found[1]).Bytes)), StringComparison.Ordinal);
        Assert.Empty(found[2]);
        Assert.Null(Assert.Single(found[3]).DatasetId);
        var full = StoredEntityCodec.Decode(bytes);
        Assert.NotNull(header);
        Assert.Equal(full.Id, header.Id);
        Assert.Equal(full.Types, header.Types);
        Assert.Equal(full.Scopes, header.Scopes);
        Assert.Equal(full.CreatedAt, header.CreatedAt);
        Assert.Empty(header.Attributes);
        Assert.Null(StoredEntityCodec.ReadWatched(bytes, [], [], header: false));
    }

    [Fact]
    public void DecodeHeader_IsTheEntityWithoutAttributes()
    {
        var entity = Entity(Watched, Instance("1"));
        entity.ModifiedAt = T0.ToOffset(TimeSpan.FromHours(2));
        var bytes = StoredEntityCodec.Encode(entity);

        var header = StoredEntityCodec.DecodeHeader(bytes);

        Assert.Equal(entity.Id, header.Id);
        Assert.Equal(entity.Types, header.Types);
        Assert.Equal(entity.Scopes, header.Scopes);
        Assert.Equal(entity.ModifiedAt, header.ModifiedAt);
        Assert.Equal(entity.ModifiedAt.Offset, header.ModifiedAt.Offset);
        Assert.Empty(header.Attributes);
        Assert.Throws<InvalidDataException>(() => StoredEntityCodec.DecodeHeader("{\"f\":1,\"t\":[]"u8));
    }
}
