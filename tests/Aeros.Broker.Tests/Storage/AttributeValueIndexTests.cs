using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Tests.Storage;

/// <summary>
/// The value index (<c>attribute_values</c>): migration from schema 1, maintenance on every write, and q pushdown
/// giving exactly the results of evaluating q in process over every entity.
/// </summary>
public sealed class AttributeValueIndexTests : IAsyncLifetime
{
    private const string Ns = "https://example.org/";
    private static readonly TimeSpan Deadline = TempStore.Deadline;
    private static readonly DateTimeOffset Time = TestEntities.Time;
    private TempStore _temp = null!;

    public async Task InitializeAsync() => _temp = await TempStore.CreateAsync(durable: false);

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private Task<T> Write<T>(Func<IEntityWriteSession, T> work, string tenant = Tenants.Default) =>
        _temp.Store.WriteAsync(tenant, true, work, CancellationToken.None).WaitAsync(Deadline);

    private static QExpression Q(string text) => QExpression.Parse(text, n => n.Contains(':', StringComparison.Ordinal) ? n : Ns + n);

    private static NgsiAttribute Attr(AttributeKind kind, JsonNode? value, string? datasetId = null) =>
        new() { Kind = kind, Value = value, DatasetId = datasetId, CreatedAt = Time, ModifiedAt = Time };

    private static Entity Make(string id, string type, params (string Name, NgsiAttribute[] Instances)[] attributes)
    {
        var entity = new Entity { Id = id, Types = [Ns + type], CreatedAt = Time, ModifiedAt = Time };
        foreach (var (name, instances) in attributes)
        {
            entity.Attributes[Ns + name] = [.. instances];
        }
        return entity;
    }

    private static (string, NgsiAttribute[]) P(string name, JsonNode? value) => (name, [Attr(AttributeKind.Property, value)]);

    /// <summary>The rows of attribute_values for an entity, as "name kind value" strings.</summary>
    private List<string> Rows(string id, string tenant = Tenants.Default)
    {
        using var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(_temp.Store.DatabasePath, readOnly: true));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, kind, value, typeof(value) FROM attribute_values WHERE tenant = $t AND id = $id ORDER BY name, kind, value";
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var value = reader.GetString(3) == "text" ? $"\"{reader.GetString(2)}\"" : reader.GetDouble(2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            rows.Add($"{reader.GetString(0)[Ns.Length..]} {reader.GetInt32(1)} {value}");
        }
        return rows;
    }

    [Fact]
    public async Task Insert_IndexesEveryInstanceAndScalarOfEachKind()
    {
        var entity = Make("urn:e:1", "T",
            ("p", [Attr(AttributeKind.Property, "x"), Attr(AttributeKind.Property, 5, "urn:ds:1"), Attr(AttributeKind.Property, true, "urn:ds:2")]),
            P("arr", new JsonArray(1, "a", false, new JsonArray("nested"), new JsonObject { ["@value"] = "typed" }, new JsonObject { ["k"] = "obj" }, null)),
            P("obj", new JsonObject { ["k"] = "v" }),
            ("lang", [Attr(AttributeKind.LanguageProperty, new JsonObject { ["en"] = "hello", ["de"] = new JsonArray("hallo", "servus") })]),
            ("rel", [Attr(AttributeKind.Relationship, "urn:r:1"), Attr(AttributeKind.Relationship, new JsonArray("urn:r:2", "urn:r:3"), "urn:ds:1")]),
            ("vocab", [Attr(AttributeKind.VocabProperty, new JsonArray(Ns + "a", Ns + "b"))]),
            ("list", [Attr(AttributeKind.ListProperty, new JsonArray(1.5, 2))]),
            ("lrel", [Attr(AttributeKind.ListRelationship, new JsonArray("urn:x"))]),
            ("json", [Attr(AttributeKind.JsonProperty, new JsonObject { ["deep"] = 1 })]),
            ("geo", [Attr(AttributeKind.GeoProperty, JsonNode.Parse("""{"type":"Point","coordinates":[1,2]}"""))]),
            P("long", new string('x', AttributeValueIndex.MaxStringLength + 1)),
            P("float", JsonValue.Create(0.1f)));

        await Write(s => s.Insert(entity));

        Assert.Equal(
        [
            "arr 0 \"a\"", "arr 0 \"nested\"", "arr 0 \"typed\"", "arr 1 1", "arr 2 0",
            "float 1 0.1", // as it reads back from storage ("0.1"), not (double)0.1f
            "lang 0 \"hallo\"", "lang 0 \"hello\"", "lang 0 \"servus\"",
            "list 1 1.5", "list 1 2",
            "lrel 0 \"urn:x\"",
            "p 0 \"x\"", "p 1 5", "p 2 1",
            "rel 0 \"urn:r:1\"", "rel 0 \"urn:r:2\"", "rel 0 \"urn:r:3\"",
            $"vocab 0 \"{Ns}a\"", $"vocab 0 \"{Ns}b\"",
        ], Rows("urn:e:1"));
    }

    [Fact]
    public async Task UpdateReplaceAndDelete_KeepRowsInStep()
    {
        await Write(s => s.Insert(Make("urn:e:1", "T", P("a", 1), P("b", "keep"))));
        await Write(s => s.Insert(Make("urn:e:2", "T", P("a", 1))));

        // Read-modify-write: one value changes, a datasetId instance is added.
        await Write(s =>
        {
            var e = s.Get("urn:e:1")!;
            e.Attributes[Ns + "a"][0].Value = 2;
            e.Attributes[Ns + "a"].Add(Attr(AttributeKind.Property, "ds", "urn:ds:1"));
            s.Update(e);
            return 0;
        });
        Assert.Equal(["a 0 \"ds\"", "a 1 2", "b 0 \"keep\""], Rows("urn:e:1"));

        // Replace without reading first (the session reads the stored rows itself).
        await Write(s =>
        {
            s.Update(Make("urn:e:1", "T", P("c", new JsonArray(true, "z"))));
            return 0;
        });
        Assert.Equal(["c 0 \"z\"", "c 2 1"], Rows("urn:e:1"));

        // Several changes in one work: each Update starts from the previous one.
        await Write(s =>
        {
            s.Update(Make("urn:e:1", "T", P("c", 3)));
            s.Update(Make("urn:e:1", "T", P("c", 4)));
            return 0;
        });
        Assert.Equal(["c 1 4"], Rows("urn:e:1"));

        // A failing work leaves no trace.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Write<int>(s =>
        {
            s.Update(Make("urn:e:1", "T", P("c", 5)));
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(["c 1 4"], Rows("urn:e:1"));

        Assert.True(await Write(s => s.Delete("urn:e:1")));
        Assert.Empty(Rows("urn:e:1"));
        Assert.Equal(["a 1 1"], Rows("urn:e:2"));

        // Deleted after a read, and re-created with other values.
        Assert.True(await Write(s => s.Get("urn:e:2") is not null && s.Delete("urn:e:2") && s.Insert(Make("urn:e:2", "T", P("a", 7)))));
        Assert.Equal(["a 1 7"], Rows("urn:e:2"));
    }

    [Fact]
    public async Task Tenants_HaveTheirOwnRows()
    {
        await Write(s => s.Insert(Make("urn:e:1", "T", P("a", "x"))));
        await Write(s => s.Insert(Make("urn:e:1", "T", P("a", "y"))), "other");

        Assert.Equal(["a 0 \"x\""], Rows("urn:e:1"));
        Assert.Equal(["a 0 \"y\""], Rows("urn:e:1", "other"));
        var page = await _temp.Store.QueryAsync("other", new EntityQuery { Q = Q("a==\"x\"") }, CancellationToken.None);
        Assert.Empty(page.Entities);
    }

    [Fact]
    public async Task MigrationFromVersion1_BackfillsTheIndex()
    {
        var directory = Path.Combine(_temp.Directory, "v1");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, SqliteEntityStore.FileName);
        var entities = Enumerable.Range(0, 30).Select(i => Make($"urn:v1:{i:D2}", i % 2 == 0 ? "Even" : "Odd", P("n", i), P("s", $"s{i % 3}"))).ToList();
        using (var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(path, readOnly: false)))
        {
            connection.Open();
            // The schema exactly as version 1 created it.
            SqliteSchema.Execute(connection, """
                CREATE TABLE schema_version (version INTEGER NOT NULL);
                INSERT INTO schema_version (version) VALUES (1);
                CREATE TABLE tenants (name TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;
                INSERT OR IGNORE INTO tenants (name) VALUES ('');
                CREATE TABLE entities (tenant TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (tenant, id));
                CREATE TABLE entity_types (tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant, type, id)) WITHOUT ROWID;
                CREATE INDEX entity_types_by_id ON entity_types (tenant, id);
                """);
            foreach (var entity in entities)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO entities (tenant, id, body) VALUES ('', $id, $body); INSERT INTO entity_types (tenant, type, id) VALUES ('', $type, $id)";
                insert.Parameters.AddWithValue("$id", entity.Id);
                insert.Parameters.AddWithValue("$body", StoredEntityCodec.Encode(entity));
                insert.Parameters.AddWithValue("$type", entity.Types[0]);
                insert.ExecuteNonQuery();
            }
        }

        await using (var store = await TempStore.OpenExistingAsync(directory))
        {
            var page = await store.Store.QueryAsync(Tenants.Default,
                new EntityQuery { Types = TypeExpression.Parse("Even", t => Ns + t), Q = Q("s==\"s1\";n>=10"), Limit = 100 }, CancellationToken.None);
            Assert.Equal(["urn:v1:10", "urn:v1:16", "urn:v1:22", "urn:v1:28"], page.Entities.Select(e => e.Id));
        }

        using (var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(path, readOnly: false)))
        {
            connection.Open();
            Assert.Equal(SqliteSchema.CurrentVersion, SqliteSchema.Migrate(connection)); // already current: nothing to do
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*), (SELECT version FROM schema_version) FROM attribute_values";
            using var reader = count.ExecuteReader();
            reader.Read();
            Assert.Equal(60, reader.GetInt64(0));
            Assert.Equal(SqliteSchema.CurrentVersion, reader.GetInt64(1));
        }
    }

    [Fact]
    public void Migration2AndReconcile_RunTwice_GiveTheSameRows()
    {
        var path = Path.Combine(_temp.Directory, "twice.db");
        using var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(path, readOnly: false));
        connection.Open();
        SqliteSchema.Migrate(connection);
        SqliteSchema.Execute(connection, "INSERT INTO entities (tenant, id, body) VALUES ('', 'urn:a', x'00')");
        using (var body = connection.CreateCommand())
        {
            body.CommandText = "UPDATE entities SET body = $b";
            body.Parameters.AddWithValue("$b", StoredEntityCodec.Encode(Make("urn:a", "T", P("a", 1), P("b", "x"))));
            body.ExecuteNonQuery();
        }
        // Pretend the version was not recorded (a crash between backfill and version update cannot happen, as
        // both are in one transaction, but the step itself must be repeatable).
        for (var run = 0; run < 2; run++)
        {
            SqliteSchema.Execute(connection, "UPDATE schema_version SET version = 1");
            Assert.Equal(1, SqliteSchema.Migrate(connection));
            Assert.True(SqliteSchema.ReconcileIndex(connection, AttributeIndexPolicy.All)); // the migration reset the rows
            Assert.False(SqliteSchema.ReconcileIndex(connection, AttributeIndexPolicy.All)); // same policy: nothing to do
        }
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM attribute_values";
        Assert.Equal(2L, count.ExecuteScalar());
    }

    [Fact]
    public void ReconcileIndex_PolicyChange_RebuildsOnlyTheNamedAttributes()
    {
        var path = Path.Combine(_temp.Directory, "policy.db");
        using var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(path, readOnly: false));
        connection.Open();
        SqliteSchema.Migrate(connection);
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO entities (tenant, id, body) VALUES ('', 'urn:a', $b)";
            insert.Parameters.AddWithValue("$b", StoredEntityCodec.Encode(Make("urn:a", "T", P("a", 1), P("b", "x"))));
            insert.ExecuteNonQuery();
        }
        long Rows()
        {
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM attribute_values";
            return (long)count.ExecuteScalar()!;
        }
        Assert.False(SqliteSchema.ReconcileIndex(connection, AttributeIndexPolicy.None));
        Assert.Equal(0, Rows());
        var onlyB = AttributeIndexPolicy.From([Ns + "b"]);
        Assert.True(onlyB.Indexes(Ns + "b"));
        Assert.False(onlyB.Indexes(Ns + "a"));
        Assert.True(AttributeIndexPolicy.From(["hostname"]).Indexes("https://uri.etsi.org/ngsi-ld/default-context/hostname"));
        Assert.True(SqliteSchema.ReconcileIndex(connection, onlyB));
        Assert.Equal(1, Rows());
        Assert.True(SqliteSchema.ReconcileIndex(connection, AttributeIndexPolicy.From(["*"])));
        Assert.Equal(2, Rows());
        Assert.True(SqliteSchema.ReconcileIndex(connection, AttributeIndexPolicy.From([])));
        Assert.Equal(0, Rows());
    }

    /// <summary>Entities built to trip a pushdown that is not a superset of the evaluator's matches.</summary>
    private static List<Entity> TrickyEntities()
    {
        var list = new List<Entity>
        {
            Make("urn:t:01", "A", P("n", 1), P("s", "1"), P("b", true)),
            Make("urn:t:02", "A", P("n", 1.0), P("s", "true"), P("b", false)),
            Make("urn:t:03", "A", P("n", true), P("s", 1), P("b", 1)),
            Make("urn:t:04", "B", P("n", -0.0), P("s", ""), P("b", "true")),
            Make("urn:t:05", "B", P("n", new JsonArray(5, 50, 500)), P("s", new JsonArray("a", "b"))),
            Make("urn:t:06", "B", P("n", new JsonArray(new JsonArray(7))), P("s", new JsonArray(new JsonArray("deep")))),
            Make("urn:t:07", "A", P("n", new JsonObject { ["@value"] = 42, ["@type"] = "xsd:int" }), P("s", new JsonObject { ["@value"] = "typed" })),
            Make("urn:t:08", "A", P("n", new JsonObject { ["v"] = 42 }), P("s", new JsonObject { ["v"] = "obj" })),
            Make("urn:t:09", "A", ("n", [Attr(AttributeKind.Property, 10), Attr(AttributeKind.Property, 20, "urn:ds:1")]),
                ("s", [Attr(AttributeKind.Property, "default"), Attr(AttributeKind.Property, "second", "urn:ds:2")])),
            Make("urn:t:10", "A", ("s", [Attr(AttributeKind.LanguageProperty, new JsonObject { ["en"] = "hello", ["fr"] = new JsonArray("salut", "bonjour") })]),
                ("n", [Attr(AttributeKind.LanguageProperty, new JsonObject { ["en"] = "7" })])),
            Make("urn:t:11", "A", ("s", [Attr(AttributeKind.VocabProperty, Ns + "shop")]), ("v", [Attr(AttributeKind.VocabProperty, new JsonArray(Ns + "a", "plain"))])),
            Make("urn:t:12", "A", ("s", [Attr(AttributeKind.Relationship, "urn:ngsi-ld:X:1")]), ("n", [Attr(AttributeKind.Relationship, new JsonArray("urn:ngsi-ld:X:2", "urn:ngsi-ld:X:3"))])),
            Make("urn:t:13", "A", ("s", [Attr(AttributeKind.ListRelationship, new JsonArray("urn:ngsi-ld:X:1"))]), ("n", [Attr(AttributeKind.ListProperty, new JsonArray(1, 2, 3))])),
            Make("urn:t:14", "A", P("s", new string('y', 300)), P("n", 1e300)),
            Make("urn:t:15", "A", P("s", new string('y', 256)), P("n", -1e300)),
            Make("urn:t:16", "A", P("s", "2026-01-02T03:04:05Z"), P("n", "2026-01-02T03:04:05.000Z")),
            Make("urn:t:17", "A", P("s", JsonValue.Create(0.1f)), P("n", JsonValue.Create(0.1m))),
            Make("urn:t:18", "A", ("s", [Attr(AttributeKind.JsonProperty, "jsonscalar")]), ("n", [Attr(AttributeKind.JsonProperty, new JsonObject { ["n"] = 1 })])),
            Make("urn:t:19", "A", P("s", "ünïcödé 😀"), P("n", 9007199254740993L)),
            Make("urn:t:20", "B", P("s", null), P("n", 49.999999)),
            Make("urn:t:21", "A", P("n", 50), P("s", "shop")),
            Make("urn:t:22", "A", ("s", [Attr(AttributeKind.VocabProperty, "shop")]), P("n", 0.1)),
            Make("urn:t:23", "A", ("s", [Attr(AttributeKind.Property, "x", "urn:ds:1")]), P("x", "only-other-attribute")),
            Make("urn:t:24", "A", ("s", [Attr(AttributeKind.LanguageProperty, new JsonObject { ["en"] = 5 })]), P("n", "5")),
        };
        for (var i = 0; i < 40; i++)
        {
            list.Add(Make($"urn:f:{i:D2}", i % 3 == 0 ? "B" : "A", P("n", i), P("s", $"v{i % 4}"), P("b", i % 2 == 0)));
        }
        return list;
    }

    public static TheoryData<string> Expressions() =>
    [
        "n==1", "n==1.0", "n==true", "n==false", "b==true", "b==false", "b==1", "s==\"1\"", "s==\"true\"", "s==1",
        "n==0", "n==-0", "n==5", "n==50", "n==7", "n==42", "s==\"typed\"", "s==\"obj\"", "n==\"7\"", "s==\"deep\"",
        "n==20", "s==\"second\"", "s==\"default\"", "s==\"hello\"", "s==\"bonjour\"",
        "s==\"shop\"", "s==\"ex:shop\"", "v==\"a\"", "v==\"plain\"",
        "s==\"urn:ngsi-ld:X:1\"", "s==urn:ngsi-ld:X:1", "n==urn:ngsi-ld:X:3",
        $"s==\"{new string('y', 300)}\"", $"s==\"{new string('y', 256)}\"", "n==1e300", "n>1e299", "n<-1e299",
        "s==\"2026-01-02T03:04:05.000Z\"", "n==2026-01-02T03:04:05Z", "s>=2026-01-01T00:00:00Z",
        "s==0.1", "n==0.1", "s==\"jsonscalar\"", "s==\"ünïcödé 😀\"", "n==9007199254740993", "n==9007199254740992",
        "n<50", "n<=50", "n>50", "n>=50", "n>5;n<20", "n==1..3", "n==3..1", "n==\"a\"..\"c\"", "s>\"v1\"", "s<=\"v2\"",
        "n==1,2,3", "n==1,\"1\",true", "s==\"v1\",\"v2\"", "b==true,false",
        "n==5;s==\"a\"", "s==\"v1\";b==true", "s==\"v1\";n>=20", "s==\"v1\"|n==5", "(s==\"v1\";n<10)|b==false",
        "s!=\"v1\"", "n!=1", "s~=v.", "s", "!s", "n==5;s!=\"b\"", "s==\"v1\";(n==1|n==13|n==33)",
        "s==\"v2\";n>=4;n<=30;b==true", "x==\"only-other-attribute\"", "s[en]==\"hello\"", "s.datasetId==\"urn:ds:2\"",
        "s==\"x\"", "s==5", "n==\"5\"", "s==\"\"", "n==49.999999", "n<49.9999995",
    ];

    [Theory]
    [MemberData(nameof(Expressions))]
    public async Task Pushdown_GivesExactlyTheInProcessResults(string q)
    {
        var entities = TrickyEntities();
        await Write(s => entities.Count(s.Insert));
        var expression = Q(q);
        // What the evaluator says over every stored entity (as stored: decoded).
        var stored = new List<Entity>();
        await foreach (var entity in _temp.Store.ScanAsync(Tenants.Default, null, CancellationToken.None))
        {
            stored.Add(entity);
        }
        foreach (var types in (string?[])[null, "A", "A,B"])
        {
            var typeExpression = types is null ? null : TypeExpression.Parse(types, t => Ns + t);
            var expected = stored
                .Where(e => (typeExpression is null || typeExpression.Matches(e.Types)) && expression.Matches(e))
                .Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
            foreach (var (limit, offset) in ((int, int)[])[(1000, 0), (2, 0), (3, 1)])
            {
                var page = await _temp.Store.QueryAsync(Tenants.Default,
                    new EntityQuery { Types = typeExpression, Q = expression, Limit = limit, Offset = offset, Count = true }, CancellationToken.None);
                Assert.Equal(expected.Skip(offset).Take(limit), page.Entities.Select(e => e.Id));
                Assert.Equal(expected.Count, page.TotalCount);
            }

            // Every plan (each term driving, or none), not only the one chosen: its candidates hold every match.
            var terms = PushedTerm.Extract(expression);
            if (terms.Count == 0)
            {
                continue;
            }
            using var reader = new SqliteReadConnection(SqliteConnectionSetup.ConnectionString(_temp.Store.DatabasePath, readOnly: true));
            for (var driver = -1; driver < terms.Count; driver++)
            {
                var shape = typeExpression is null ? SqliteReadConnection.Shape.None : SqliteReadConnection.Shape.Types;
                var typesJson = typeExpression is null ? null : System.Text.Json.JsonSerializer.Serialize(typeExpression.AllTypes.ToArray());
                var candidates = new List<string>();
                using (var rows = reader.SelectPushed(shape, Tenants.Default, null, typesJson, terms, driver,
                    typeExpression?.AllTypes is [var single] ? single : null).ExecuteReader())
                {
                    while (rows.Read())
                    {
                        candidates.Add(rows.GetString(0));
                    }
                }
                Assert.Equal(candidates.Order(StringComparer.Ordinal), candidates); // in id order, no duplicates
                Assert.Equal(candidates.Count, candidates.Distinct().Count());
                Assert.Empty(expected.Except(candidates));
            }
        }
    }

    [Theory]
    [InlineData("n==1", 1)]
    [InlineData("n==1;s==\"x\"", 2)]
    [InlineData("n==1|s==\"x\"", 0)]
    [InlineData("(n==1;s==\"x\");b==true", 3)]
    [InlineData("n.sub==1", 0)]
    [InlineData("n[a]==1", 0)]
    [InlineData("n!=1;n~=x;n;!n", 0)]
    [InlineData("n==2026-01-02T03:04:05Z", 0)]
    [InlineData("n==\"2026-01-02\"", 0)]
    [InlineData("n==1,2026-01-02T03:04:05Z", 0)]
    [InlineData("n>\"a\"", 0)]
    [InlineData("n==\"a\"..\"b\"", 0)]
    [InlineData("n==1..2;n<5;n>=0;n<=1;n>-1", 5)]
    [InlineData("createdAt>1", 0)]
    public void Extract_PushesOnlySafeTopLevelConjuncts(string q, int pushed) =>
        Assert.Equal(pushed, PushedTerm.Extract(Q(q)).Count);

    [Fact]
    public void Extract_StringLiteral_AlsoCarriesItsVocabExpansion_AndSkipsLongLiterals()
    {
        var term = Assert.Single(PushedTerm.Extract(Q("s==\"ex:shop\",\"shop\"")));
        Assert.Equal(["ex:shop", "shop", Ns + "shop"], term.Strings);
        Assert.Empty(PushedTerm.Extract(Q($"s==\"{new string('y', 257)}\"")));
    }

    [Fact]
    public async Task Query_PicksASelectiveTermToDrive_AndScansOtherwise()
    {
        await Write(s => TrickyEntities().Count(s.Insert));
        var readers = new SqliteReadConnection(SqliteConnectionSetup.ConnectionString(_temp.Store.DatabasePath, readOnly: true));
        using (readers)
        {
            Assert.Equal(1, SqliteEntityStore.ChooseDriver(readers, Tenants.Default, PushedTerm.Extract(Q("n<100;s==\"second\""))));
            Assert.Equal(0, SqliteEntityStore.ChooseDriver(readers, Tenants.Default, PushedTerm.Extract(Q("n>=30;n<1000"))));
            Assert.Equal(8, readers.Estimate(Tenants.Default, PushedTerm.Extract(Q("n==1..3"))[0], 1000));
            Assert.Equal(2, readers.Estimate(Tenants.Default, PushedTerm.Extract(Q("n==1..3"))[0], 2));
        }
    }
}
