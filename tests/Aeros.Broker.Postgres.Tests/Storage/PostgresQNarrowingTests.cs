using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// Every q operator and scopeQ narrows in SQL: for each, the rows SQL alone selects contain every entity the
/// in-process evaluation selects from all entities (a superset), fewer than all where the operator narrows, and the
/// store's answer is exactly the in-process one. The data has the strings where .NET (UTF-16) and PostgreSQL (code
/// points) disagree: surrogate pairs against U+E000–U+FFFF, newlines, strings longer than the value index keeps.
/// </summary>
public sealed class PostgresQNarrowingTests : IAsyncLifetime
{
    private const string Prefix = "https://example.org/";
    private const int Count = 240;
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly string LongM = new('m', 300);
    private static readonly string LongN = "n" + new string('\uD83D', 1) + "\uDE00" + new string('b', 299);

    /// <summary>Strings at the edges of the two orders and the two regex engines.</summary>
    private static readonly string[] Names =
    [
        "", "a", "m", "mz", "n", "z", "\u00E9", "\uD7FF", "\uE000", "\uE000x", "\uFFFF", "\uFFFFa", "\uD83D\uDE00", "\uD83D\uDE00a",
        "a\nb", "abc\n", "mm", "urn:x:1", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "2026-06-01", LongM, LongN,
        "m\uE000", "m\uD83D\uDE00", "ab{", "a.b", "x",
    ];

    private PostgresTestDatabase _database = null!;
    private readonly List<Entity> _entities = [];

    private static Entity Make(int i)
    {
        var at = Time.AddMinutes(i);
        var entity = new Entity
        {
            Id = $"urn:ngsi-ld:Thing:{i:D4}",
            Types = [Prefix + "Thing"],
            CreatedAt = at,
            ModifiedAt = at.AddSeconds(i % 7),
            Scopes = i == 17 ? ["/rare/one"] : (i % 6) switch
            {
                0 => null,
                1 => ["/a"],
                2 => ["/a/b"],
                3 => ["/a/b/c", "/x/y"],
                4 => ["/x/y"],
                _ => ["/ab", "/a/bb"],
            },
        };
        NgsiAttribute Attr(JsonNode? value, AttributeKind kind = AttributeKind.Property) =>
            new() { Kind = kind, Value = value, CreatedAt = at, ModifiedAt = at };
        var name = Names[i % Names.Length];
        entity.Attributes[Prefix + "name"] = [Attr(i % 10 == 9 ? new JsonArray(name, "q") : i % 10 == 8 ? new JsonObject { ["@value"] = name } : JsonValue.Create(name))];
        if (i % 13 != 0)
        {
            entity.Attributes[Prefix + "count"] = [Attr(i % 3 == 0 ? JsonValue.Create($"{i}") : JsonValue.Create(i))];
        }
        if (i % 4 == 0)
        {
            entity.Attributes[Prefix + "title"] = [Attr(new JsonObject { ["en"] = i % 8 == 0 ? "x" : "y", ["de"] = Names[(i + 3) % Names.Length] }, AttributeKind.LanguageProperty)];
        }
        var temp = Attr(JsonValue.Create(20 + (i % 5)));
        temp.ObservedAt = i % 9 == 0 ? null : $"2026-01-01T0{i % 3}:0{i % 10}:00{(i % 2 == 0 ? "Z" : "+01:00")}";
        temp.UnitCode = i % 2 == 0 ? "CEL" : "FAH";
        if (i % 3 != 2)
        {
            temp.SubAttributes = new AttributeMap { [Prefix + "accuracy"] = [Attr(i % 3 == 0 ? JsonValue.Create("high") : JsonValue.Create(i % 4))] };
        }
        entity.Attributes[Prefix + "temp"] = [temp];
        if (i % 5 != 4)
        {
            entity.Attributes[Prefix + "config"] = [Attr(new JsonObject
            {
                ["mode"] = i % 2 == 0 ? "auto" : "manual",
                ["level"] = i % 6,
                ["tags"] = new JsonArray(i % 3 == 0 ? "a" : "b", "c"),
            }, AttributeKind.JsonProperty)];
        }
        if (i % 7 == 0)
        {
            var first = Attr(JsonValue.Create(i));
            first.DatasetId = "urn:ds:a";
            var second = Attr(JsonValue.Create(i + 1));
            second.DatasetId = i % 14 == 0 ? "urn:ds:b" : "urn:ds:c";
            entity.Attributes[Prefix + "speed"] = [first, second];
        }
        return entity;
    }

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("qnarrow");
        for (var i = 0; i < Count; i++)
        {
            _entities.Add(Make(i));
        }
        await _database.WriteAsync(s =>
        {
            foreach (var entity in _entities)
            {
                Assert.True(s.Insert(entity));
            }
        });
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private static QExpression Parse(string q) => QExpression.Parse(q, n => Prefix + n);

    private async Task AssertNarrowedAsync(EntityQuery query, Func<Entity, bool> matches, bool narrows)
    {
        var expected = _entities.Where(matches).Select(e => e.Id).Order(StringComparer.Ordinal).ToArray();
        var candidates = await _database.CandidatesAsync(query);

        var lost = expected.Except(candidates, StringComparer.Ordinal).ToArray();
        Assert.True(lost.Length == 0, $"SQL lost {lost.Length} matches: {string.Join(", ", lost)}");
        if (narrows)
        {
            Assert.True(candidates.Length < Count, $"SQL selected all {Count} entities");
        }
        Assert.Equal(expected, await _database.IdsAsync(query));
    }

    [Theory]
    // Regular expressions (the portable subset in SQL; a newline or a character above U+FFFF keeps a string a candidate).
    [InlineData("name~=^m")]
    [InlineData("name~=z$")]
    [InlineData("name~=b$")]
    [InlineData("name~=c$")]
    [InlineData("name~=^.$")]
    [InlineData("name~=^..$")]
    [InlineData("name~=^.{2}a$")]
    [InlineData("name~=m{2,}")]
    [InlineData("name~=(a|n)")]
    [InlineData("name~=\\.")]
    [InlineData("count~=ab{")]
    [InlineData("name~=^[^a-z]+$")]
    [InlineData("title~=^x")]
    [InlineData("title~=\\d")]
    // String ranges at the UTF-16 / code point edges, long strings, and DateTimes.
    [InlineData("name>\"m\"")]
    [InlineData("name>=\"mz\"")]
    [InlineData("name<\"n\"")]
    [InlineData("name==\"a\"..\"n\"")]
    [InlineData("name>\"\uE000\"")]
    [InlineData("name>=\"\uE000\"")]
    [InlineData("name>\"\uFFFF\"")]
    [InlineData("name>\"\uD83D\uDE00\"")]
    [InlineData("name<\"m\uD83D\uDE00\"")]
    [InlineData("name>\"m\uE000\"")]
    [InlineData("name>\"mmmm\"")]
    [InlineData("temp.observedAt>2026-01-01T01:03:00Z")]
    [InlineData("temp.observedAt==2026-01-01T00:04:00Z")]
    [InlineData("createdAt>2026-01-02T05:00:00Z")]
    [InlineData("modifiedAt<=2026-01-02T03:10:07Z")]
    [InlineData("createdAt==2026-01-02T03:14:05Z")]
    [InlineData("createdAt==2026-01-02T03:10:05Z..2026-01-02T03:20:05Z")]
    // Equality on long strings, !=, existence.
    [InlineData("name==\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"")]
    [InlineData("count!=3")]
    [InlineData("speed!=7")]
    [InlineData("title")]
    // OR and nesting.
    [InlineData("name==\"a\"|count==5")]
    [InlineData("(name~=^m|count>190);count<230")]
    [InlineData("((count==1|count==2)|(name==\"z\";count>3))")]
    [InlineData("(speed==14|title[en]==\"x\");temp.unitCode==\"CEL\"")]
    // Paths into values and sub-attributes.
    [InlineData("config[mode]==\"auto\"")]
    [InlineData("config[level]==3")]
    [InlineData("config[tags]==\"a\"")]
    [InlineData("config[tags.0]==\"a\"")]
    [InlineData("temp.accuracy==\"high\"")]
    [InlineData("temp.accuracy==2")]
    [InlineData("temp.accuracy")]
    [InlineData("speed.datasetId==\"urn:ds:b\"")]
    [InlineData("temp.unitCode==\"CEL\"")]
    [InlineData("title[en]==\"x\"")]
    [InlineData("title[EN]==\"x\"")]
    public async Task QueryAsync_NarrowedTerm_SupersetInSqlAndExactResult(string q)
    {
        var expression = Parse(q);
        await AssertNarrowedAsync(new EntityQuery { Q = expression, Limit = 1000 }, expression.Matches, narrows: true);
    }

    [Theory]
    [InlineData("name!=\"a\"|!name")]
    [InlineData("!title")]
    [InlineData("name!~=^m")]
    [InlineData("name>=2026-01-01T00:00:00Z")]
    [InlineData("name<\"2026-03-01T00:00:00Z\"")]
    [InlineData("name<\"\uD83D\uDE00\"")]
    [InlineData("name<=\"\uFFFF\"")]
    [InlineData("name<\"\uE000\"")]
    public async Task QueryAsync_TermThatCannotNarrow_ExactResult(string q)
    {
        var expression = Parse(q);
        await AssertNarrowedAsync(new EntityQuery { Q = expression, Limit = 1000 }, expression.Matches, narrows: false);
    }

    [Theory]
    [InlineData("/a")]
    [InlineData("/a/#")]
    [InlineData("/a/+")]
    [InlineData("/+/b")]
    [InlineData("/+/+/#")]
    [InlineData("(/a/b;/x/y)")]
    [InlineData("/ab,/x/#")]
    [InlineData("/#")]
    [InlineData("/nope")]
    public async Task QueryAsync_ScopeQ_SupersetInSqlAndExactResult(string scopeQ)
    {
        var expression = ScopeExpression.Parse(scopeQ);
        await AssertNarrowedAsync(new EntityQuery { ScopeQ = expression, Limit = 1000 }, e => expression.Matches(e.Scopes), narrows: true);
    }

    [Fact]
    public async Task QueryAsync_ScopeQ_ExactScopeUsesScopesIndex()
    {
        var plan = await _database.ExplainAsync(new EntityQuery { ScopeQ = ScopeExpression.Parse("/rare/one"), Limit = 1000 }, geo: false);

        Assert.Contains("entities_scopes", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_LongStringEquality_UsesValueIndex()
    {
        var plan = await _database.ExplainAsync(new EntityQuery { Q = Parse($"name==\"{LongM}\""), Limit = 1000 }, geo: false);

        Assert.Contains("entities_vals", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_PatternPostgresRejects_RunsAgainInBroker()
    {
        // Valid for .NET and within the portable subset, but PostgreSQL finds it "too complex" to compile.
        const string pattern = "urn:ngsi-ld:Thing:000(((1{1,100}){1,100}){1,100})";

        var ids = await _database.IdsAsync(new EntityQuery { IdPattern = pattern, Limit = 1000 });

        Assert.Equal(["urn:ngsi-ld:Thing:0001"], ids);
        Assert.Contains(_database.Logger.Entries, e => e.EventId.Id == 3460);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, "count>100")]
    [InlineData(false, "count>100;temp.accuracy")]
    public async Task QueryAsync_ProjectedAttributes_SameEntitiesWithoutTheOthers(bool keep, string? q)
    {
        var expression = q is null ? null : Parse(q);
        HashSet<string> names = [Prefix + "name", Prefix + "title"];
        var full = await _database.Store.QueryAsync(Tenants.Default, new EntityQuery { Q = expression, Limit = 1000 }, CancellationToken.None)
            .WaitAsync(PostgresTestDatabase.Deadline);

        var projected = await _database.Store.QueryAsync(Tenants.Default, new EntityQuery
        {
            Q = expression,
            Limit = 1000,
            KeepAttributes = keep ? names : null,
            DropAttributes = keep ? null : names,
        }, CancellationToken.None).WaitAsync(PostgresTestDatabase.Deadline);

        Assert.NotEmpty(full.Entities);
        Assert.Equal(full.Entities.Select(e => e.Id), projected.Entities.Select(e => e.Id));
        for (var i = 0; i < full.Entities.Count; i++)
        {
            var expected = StoredEntityCodec.Decode(StoredEntityCodec.Encode(full.Entities[i]));
            foreach (var name in expected.Attributes.Keys.ToArray())
            {
                // q reads count (and temp): the store keeps what the in-process check needs.
                var read = q is not null && (name == Prefix + "count" || (q.Contains("temp", StringComparison.Ordinal) && name == Prefix + "temp"));
                if (keep ? !names.Contains(name) && !read : names.Contains(name))
                {
                    expected.Attributes.Remove(name);
                }
            }
            Assert.Equal(StoredEntityCodec.Encode(expected), StoredEntityCodec.Encode(projected.Entities[i]));
        }
    }

    [Theory]
    [InlineData("^a.b$", true)]
    [InlineData("a{2,5}", true)]
    [InlineData("a{,5}", false)]
    [InlineData("a{300}", false)]
    [InlineData("ab{", false)]
    [InlineData("a}", false)]
    [InlineData("\\d+", false)]
    [InlineData("(?i)a", false)]
    [InlineData("[[:alpha:]]", false)]
    [InlineData("\u00E9", false)]
    public void IsPortable_Pattern_AcceptsOnlyTheSharedSubset(string pattern, bool portable)
    {
        Assert.Equal(portable, PortableRegex.IsPortable(pattern));
    }
}
