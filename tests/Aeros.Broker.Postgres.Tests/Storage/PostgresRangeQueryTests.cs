using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// Numeric ranges of q are answered from <c>entity_numbers</c> (B-tree): the writer keeps it in step with the
/// entities, a selective range scans the value index, and a database of schema version 2 gets it backfilled.
/// </summary>
public sealed class PostgresRangeQueryTests
{
    private const string Prefix = "https://example.org/";
    private const string Speed = Prefix + "speed";
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static Entity Make(int i, JsonNode? speed)
    {
        var entity = new Entity { Id = $"urn:ngsi-ld:Vehicle:{i:D5}", Types = [Prefix + "Vehicle"], CreatedAt = Time, ModifiedAt = Time };
        if (speed is not null)
        {
            entity.Attributes[Speed] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = speed, CreatedAt = Time, ModifiedAt = Time }];
        }
        return entity;
    }

    /// <summary>Vehicle i has speed i (every 7th an array [i, i + 0.5], every 11th a string, every 13th none).</summary>
    private static JsonNode? SpeedOf(int i) =>
        i % 13 == 0 ? null : i % 11 == 0 ? JsonValue.Create($"{i}") : i % 7 == 0 ? new JsonArray(i, i + 0.5) : JsonValue.Create(i);

    private static EntityQuery Q(string q, int limit = 1000) =>
        new() { Types = TypeExpression.Parse("Vehicle", t => Prefix + t), Q = QExpression.Parse(q, n => Prefix + n), Limit = limit };

    private static async Task SeedAsync(PostgresTestDatabase database, int count)
    {
        for (var start = 0; start < count; start += 500)
        {
            var end = Math.Min(count, start + 500);
            await database.WriteAsync(s =>
            {
                for (var i = start; i < end; i++)
                {
                    Assert.True(s.Insert(Make(i, SpeedOf(i))));
                }
            });
        }
    }

    private static string[] Expected(int count, string q)
    {
        var filter = QExpression.Parse(q, n => Prefix + n);
        return [.. Enumerable.Range(0, count).Select(i => Make(i, SpeedOf(i))).Where(filter.Matches).Select(e => e.Id).Order(StringComparer.Ordinal)];
    }

    [Theory]
    [InlineData("speed==100..120")]
    [InlineData("speed>4990")]
    [InlineData("speed<=3")]
    [InlineData("speed>=140.5;speed<150")]
    [InlineData("speed==154")]
    public async Task QueryAsync_NumericRange_MatchesInProcessEvaluation(string q)
    {
        await using var database = await PostgresTestDatabase.CreateAsync("range");
        await SeedAsync(database, 5000);

        Assert.Equal(Expected(5000, q), await database.IdsAsync(Q(q)));
    }

    [Fact]
    public async Task QueryAsync_SelectiveRange_PlanScansValueIndex()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("rangeplan");
        await SeedAsync(database, 5000);

        var plan = await database.ExplainAsync(Q("speed==100..120"), geo: false);

        Assert.Contains("entity_numbers_value", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_UpdateAndDelete_KeepNumbersCurrent()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("rangewrite");
        await database.WriteAsync(s => s.Insert(Make(1, new JsonArray(5, 6, 6))));
        Assert.Equal(2L, await database.ScalarAsync("SELECT count(*) FROM entity_numbers"));

        await database.WriteAsync(s => s.Update(Make(1, JsonValue.Create(50))));
        Assert.Empty(await database.IdsAsync(Q("speed<10")));
        Assert.Single(await database.IdsAsync(Q("speed>=50")));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM entity_numbers"));

        await database.WriteAsync(s => Assert.True(s.Delete("urn:ngsi-ld:Vehicle:00001")));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM entity_numbers"));
    }

    [Fact]
    public async Task InitializeAsync_DatabaseAtVersion2_BackfillsNumbers()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("rangemigrate");
        await SeedAsync(database, 300);
        var rows = (long)(await database.ScalarAsync("SELECT count(*) FROM entity_numbers"))!;
        Assert.True(rows > 250, $"only {rows} number rows");
        // The database as a broker of schema version 2 left it.
        await database.ExecuteAsync("DROP TABLE entity_numbers");
        await database.ExecuteAsync("UPDATE aeros_schema SET version = 2");

        await database.ReopenAsync();

        Assert.Equal(rows, await database.ScalarAsync("SELECT count(*) FROM entity_numbers"));
        Assert.Equal(Expected(300, "speed==100..120"), await database.IdsAsync(Q("speed==100..120")));
        Assert.Contains(database.Logger.Entries, e => e.EventId.Id == 3401);
    }
}
