using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §1.4 and §9 item 11: batch status codes and duplicates. Suite: 003_01, 003_02_01, 003_03_02, 003_10_01,
/// 004_01..03, 004_06_02, 004_07_01, 005_02_01..03, 005_03_01, 006_02_01, 006_04_01, 057_03_02.
/// </summary>
public sealed class BatchConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private static JsonObject Entity(string id, string attr = "a", int value = 1) =>
        new() { ["id"] = id, ["type"] = "T", [attr] = Prop(value) };

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string operation, JsonNode body)
    {
        var response = await fx.SendAsync(HttpMethod.Post, "/entityOperations/" + operation, body);
        return (response.StatusCode, await ReadJsonAsync(response), response);
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => n!.GetValue<string>())];

    // 003_01, 003_10_01: all new → 201 + ids; a duplicate in the array is an error for the later one → 207.
    [Fact]
    public async Task Create_AllNew201_DuplicateInArray207()
    {
        string a = NewId(), b = NewId();
        var (status, body, r1) = await PostAsync("create", new JsonArray(Entity(a), Entity(b)));
        r1.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal([a, b], Strings(body));

        string c = NewId();
        var (dupStatus, dup, r2) = await PostAsync("create", new JsonArray(Entity(c), Entity(c, "b"), Entity(a)));
        r2.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, dupStatus);
        Assert.Equal([c], Strings(dup!["success"]));
        Assert.Equal([c, a], dup["errors"]!.AsArray().Select(e => e!["entityId"]!.GetValue<string>()));
        Assert.All(dup["errors"]!.AsArray(), e => Assert.Equal(409, e!["error"]!["status"]!.GetValue<int>()));
    }

    // 004_01..03, 004_07_01: upsert → 201 with only new ids (unique), 204 when all existed.
    [Fact]
    public async Task Upsert_NewIdsOnly_Then204_DuplicatesUnique()
    {
        string existing = NewId(), fresh = NewId();
        await fx.CreateAsync(Entity(existing));
        var (status, body, r1) = await PostAsync("upsert", new JsonArray(Entity(existing, "b", 2), Entity(fresh), Entity(fresh, "c", 3)));
        r1.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal([fresh], Strings(body));
        var merged = await fx.GetJsonAsync($"/entities/{fresh}");
        Assert.Equal(3, merged["c"]!["value"]!.GetValue<int>());

        var (again, empty, r2) = await PostAsync("upsert", new JsonArray(Entity(existing), Entity(fresh)));
        Assert.Equal(HttpStatusCode.NoContent, again);
        Assert.Null(empty);
        Assert.Null(r2.Content.Headers.ContentType);
        r2.Dispose();
        var replaced = await fx.GetJsonAsync($"/entities/{existing}");
        Assert.Null(replaced["b"]);
    }

    // 004_06_02, 057_03_02: "value": null in one entity → per-entity BadRequestData in a 207.
    [Theory]
    [InlineData("upsert")]
    [InlineData("merge")]
    [InlineData("create")]
    public async Task NullValue_IsPerEntityError(string operation)
    {
        string good = NewId(), bad = NewId();
        if (operation == "merge")
        {
            await fx.CreateAsync(Entity(good));
            await fx.CreateAsync(Entity(bad));
        }
        var broken = new JsonObject { ["id"] = bad, ["type"] = "T", ["a"] = new JsonObject { ["type"] = "Property", ["value"] = null } };
        var (status, body, r) = await PostAsync(operation, new JsonArray(Entity(good, "b", 2), broken));
        r.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, status);
        Assert.Equal([good], Strings(body!["success"]));
        var error = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal(bad, error["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", error["error"]!["type"]!.GetValue<string>());
    }

    // 005_02_01..03, 005_03_01: update noOverwrite — existing attribute → 207; only new → 204; missing entity → 207.
    [Fact]
    public async Task Update_NoOverwriteAndMissing()
    {
        var id = NewId();
        await fx.CreateAsync(Entity(id));
        var (conflict, body, r1) = await PostAsync("update?options=noOverwrite", new JsonArray(Entity(id, "a", 9)));
        r1.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, conflict);
        Assert.Equal(id, Assert.Single(body!["errors"]!.AsArray())!["entityId"]!.GetValue<string>());
        Assert.Equal(1, (await fx.GetJsonAsync($"/entities/{id}"))["a"]!["value"]!.GetValue<int>());

        var (ok, _, r2) = await PostAsync("update?options=noOverwrite", new JsonArray(Entity(id, "z", 5)));
        r2.Dispose();
        Assert.Equal(HttpStatusCode.NoContent, ok);

        var missing = NewId();
        var (partial, result, r3) = await PostAsync("update", new JsonArray(Entity(id, "a", 2), Entity(missing)));
        r3.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, partial);
        Assert.Equal([id], Strings(result!["success"]));
        Assert.Equal(missing, Assert.Single(result["errors"]!.AsArray())!["entityId"]!.GetValue<string>());
    }

    // 006_02_01, 006_04_01: delete with an unknown id or a duplicate → 207.
    [Fact]
    public async Task Delete_UnknownAndDuplicate_Return207()
    {
        string a = NewId(), b = NewId();
        await fx.CreateAsync(Entity(a));
        await fx.CreateAsync(Entity(b));
        var (unknown, body, r1) = await PostAsync("delete", new JsonArray(a, NewId()));
        r1.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, unknown);
        Assert.Equal([a], Strings(body!["success"]));

        var (dup, dupBody, r2) = await PostAsync("delete", new JsonArray(b, b));
        r2.Dispose();
        Assert.Equal(HttpStatusCode.MultiStatus, dup);
        Assert.Equal([b], Strings(dupBody!["success"]));
        Assert.Equal(b, Assert.Single(dupBody["errors"]!.AsArray())!["entityId"]!.GetValue<string>());
    }

    // 003_03_02, 006_03_02: [] → 400 BadRequestData; invalid JSON → InvalidRequest.
    [Theory]
    [InlineData("create", "[]", "BadRequestData")]
    [InlineData("upsert", "[]", "BadRequestData")]
    [InlineData("delete", "[]", "BadRequestData")]
    [InlineData("create", "[{", "InvalidRequest")]
    public async Task EmptyOrInvalid_Returns400(string operation, string body, string errorType)
    {
        using var response = await fx.Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/" + operation, Json(body)));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, errorType);
    }
}
