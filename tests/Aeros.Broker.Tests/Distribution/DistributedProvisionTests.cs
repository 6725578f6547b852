using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.Distribution.PeerBrokers;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Distribution;

/// <summary>Forwarded create/update/merge/replace/delete per mode and operations (ETSI suite D001–D004).</summary>
public sealed class DistributedProvisionTests
{
    private static string NewType() => "T" + Guid.NewGuid().ToString("N");

    private static async Task<JsonObject?> LocalAsync(BrokerServer at, string id)
    {
        using var response = await at.Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}?local=true&options=keyValues"));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (JsonObject)(await ReadJsonAsync(response))!;
    }

    private static async Task<HttpResponseMessage> SendAsync(BrokerServer at, HttpMethod method, string path, JsonObject? body = null) =>
        await at.Client.SendAsync(Request(method, path, body is null ? null : Json(body)));

    [Fact]
    public async Task Create_InclusiveWithCreateEntity_CreatedLocallyAndAtSource()
    {
        // D001_01_inc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("redirectionOps"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/ngsi-ld/v1/entities/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal(5, (await LocalAsync(peers[0], id))!["speed"]!.GetValue<int>());
        Assert.Equal(5, (await LocalAsync(peers[1], id))!["speed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_InclusiveWithDefaultOperations_IsNotForwarded()
    {
        // federationOps holds no provision operation.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(await LocalAsync(peers[0], id));
        Assert.Null(await LocalAsync(peers[1], id));
    }

    [Fact]
    public async Task Create_Redirect_CreatedOnlyAtTheSources()
    {
        // D001_01_red
        await using var peers = await StartAsync(3);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "redirect", operations: new JsonArray("redirectionOps"));
        await RegisterAsync(peers[0], peers[2].BaseAddress, type, mode: "redirect", operations: new JsonArray("redirectionOps"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Null(await LocalAsync(peers[0], id));
        Assert.NotNull(await LocalAsync(peers[1], id));
        Assert.NotNull(await LocalAsync(peers[2], id));
        // Consumption finds it through the redirect registrations.
        using var retrieve = await peers[0].Client.SendAsync(Request(HttpMethod.Get, $"/entities/{id}"));
        Assert.Equal(HttpStatusCode.OK, retrieve.StatusCode);
    }

    [Fact]
    public async Task Create_Exclusive_RegisteredAttributesAtSourceRestLocal()
    {
        // D001_01_exc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "exclusive", entityId: id,
            propertyNames: new JsonArray("speed"), operations: new JsonArray("redirectionOps"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5), ("brandName", "Audi")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($$"""{"id":"{{id}}","type":"{{type}}","brandName":"Audi"}""", (await LocalAsync(peers[0], id))!.ToJsonString());
        Assert.Equal($$"""{"id":"{{id}}","type":"{{type}}","speed":5}""", (await LocalAsync(peers[1], id))!.ToJsonString());
        // Updating the registered attribute goes to the source only.
        using var update = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}/attrs",
            new JsonObject { ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 7 } });
        Assert.Equal(HttpStatusCode.NoContent, update.StatusCode);
        Assert.Equal(7, (await LocalAsync(peers[1], id))!["speed"]!.GetValue<int>());
        Assert.Null((await LocalAsync(peers[0], id))!["speed"]);
    }

    [Fact]
    public async Task Create_ExclusiveWithoutTheOperation_Returns207Conflict()
    {
        // D001_02_exc: the source holds the attribute but does not allow createEntity.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "exclusive", entityId: id,
            propertyNames: new JsonArray("speed"), operations: new JsonArray("retrieveOps"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5), ("brandName", "Audi")));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var body = (await ReadJsonAsync(response))!;
        Assert.Equal($"[\"{id}\"]", body["success"]!.ToJsonString());
        var error = Assert.Single((JsonArray)body["errors"]!)!;
        Assert.Equal(409, error["error"]!["status"]!.GetValue<int>());
        Assert.Equal(csr, error["error"]!["registrationId"]!.GetValue<string>());
        Assert.Null((await LocalAsync(peers[0], id))!["speed"]);
    }

    [Fact]
    public async Task Create_Auxiliary_IsNeverForwarded()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        // An auxiliary registration cannot even list a write operation (400, §5.9.2.4); with its default operations
        // nothing is forwarded.
        using (var refused = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(new JsonObject
        {
            ["type"] = "ContextSourceRegistration",
            ["information"] = new JsonArray(new JsonObject { ["entities"] = new JsonArray(new JsonObject { ["type"] = type }) }),
            ["endpoint"] = peers[1].BaseAddress.ToString(),
            ["mode"] = "auxiliary",
            ["operations"] = new JsonArray("redirectionOps"),
        }))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "auxiliary");
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(await LocalAsync(peers[0], id));
        Assert.Null(await LocalAsync(peers[1], id));
    }

    [Fact]
    public async Task Create_SourceAlreadyHasEntity_Returns207WithRemoteStatusAndRegistrationId()
    {
        // D001_03_01_inc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[1], Entity(id, type));
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("createEntity"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        Assert.Equal($"/ngsi-ld/v1/entities/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var body = (await ReadJsonAsync(response))!;
        Assert.Equal($"[\"{id}\"]", body["success"]!.ToJsonString());
        var error = Assert.Single((JsonArray)body["errors"]!)!;
        Assert.Equal(id, error["entityId"]!.GetValue<string>());
        Assert.Equal(409, error["error"]!["status"]!.GetValue<int>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal(csr, error["error"]!["registrationId"]!.GetValue<string>());
        Assert.NotNull(await LocalAsync(peers[0], id));
    }

    [Fact]
    public async Task Create_SourceUnreachable_Returns207AndKeepsLocal()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("createEntity"));
        await peers.StopAsync(1);
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var error = Assert.Single((JsonArray)(await ReadJsonAsync(response))!["errors"]!)!;
        Assert.Equal(504, error["error"]!["status"]!.GetValue<int>());
        Assert.Equal(csr, error["error"]!["registrationId"]!.GetValue<string>());
        Assert.NotNull(await LocalAsync(peers[0], id));
    }

    [Fact]
    public async Task Create_ExistingLocallyButCreatedAtSource_Returns207WithLocal409()
    {
        // D001_03_01_inc: the source takes the entity, the local 409 is the one error.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("createEntity"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var body = (await ReadJsonAsync(response))!;
        var error = Assert.Single((JsonArray)body["errors"]!)!;
        Assert.Equal(409, error["error"]!["status"]!.GetValue<int>());
        Assert.Null(error["error"]!["registrationId"]);
        Assert.Equal($"[\"{id}\"]", body["success"]!.ToJsonString());
        Assert.Equal(5, (await LocalAsync(peers[1], id))!["speed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_ExistingLocallyAndAtSource_Returns207WithBoth409()
    {
        // D001_03_02_inc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type));
        await CreateAsync(peers[1], Entity(id, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("createEntity"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var body = (await ReadJsonAsync(response))!;
        Assert.Equal([409, 409], ((JsonArray)body["errors"]!).Select(e => e!["error"]!["status"]!.GetValue<int>()));
        Assert.Equal("[]", body["success"]!.ToJsonString());
    }

    [Fact]
    public async Task Create_NoRegistrationConcerned_LocalErrorsAsUsual()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, NewType(), operations: new JsonArray("createEntity"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5)));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var invalid = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity("InvalidUriExample", type));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task UpdateAttrs_Inclusive_UpdatesBoth_AndMissingAtSourceIs207()
    {
        // D002_01_inc, D002_02_01_inc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type, ("speed", 1)));
        await CreateAsync(peers[1], Entity(id, type, ("speed", 1)));
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("updateOps"));
        var fragment = new JsonObject { ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 2 } };
        using (var response = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}/attrs", fragment))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal(2, (await LocalAsync(peers[0], id))!["speed"]!.GetValue<int>());
        Assert.Equal(2, (await LocalAsync(peers[1], id))!["speed"]!.GetValue<int>());
        using (var deleted = await SendAsync(peers[1], HttpMethod.Delete, $"/entities/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var partial = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}/attrs", fragment);
        Assert.Equal(HttpStatusCode.MultiStatus, partial.StatusCode);
        var result = (await ReadJsonAsync(partial))!;
        var notUpdated = Assert.Single((JsonArray)result["notUpdated"]!)!;
        Assert.Equal("speed", notUpdated["attributeName"]!.GetValue<string>());
        Assert.Equal(csr, notUpdated["registrationId"]!.GetValue<string>());
        Assert.StartsWith("404", notUpdated["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttributeOperations_Inclusive_AreForwarded()
    {
        // D003 (partial update), replace attribute, delete attribute, merge, replace, delete entity.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type, ("speed", 1), ("color", "red")));
        await CreateAsync(peers[1], Entity(id, type, ("speed", 1), ("color", "red")));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, operations: new JsonArray("redirectionOps"));

        async Task ExpectBoth(Func<JsonObject?, bool> check, string phase)
        {
            Assert.True(check(await LocalAsync(peers[0], id)), $"{phase}: local {(await LocalAsync(peers[0], id))?.ToJsonString()}");
            Assert.True(check(await LocalAsync(peers[1], id)), $"{phase}: source {(await LocalAsync(peers[1], id))?.ToJsonString()}");
        }

        using (var r = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}/attrs/speed", new JsonObject { ["value"] = 3 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["speed"]!.GetValue<int>() == 3, "partial update");
        using (var r = await SendAsync(peers[0], HttpMethod.Put, $"/entities/{id}/attrs/speed", new JsonObject { ["type"] = "Property", ["value"] = 4 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["speed"]!.GetValue<int>() == 4, "replace attribute");
        using (var r = await SendAsync(peers[0], HttpMethod.Delete, $"/entities/{id}/attrs/color"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["color"] is null, "delete attribute");
        using (var r = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}", new JsonObject { ["brandName"] = new JsonObject { ["type"] = "Property", ["value"] = "VW" } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["brandName"]?.GetValue<string>() == "VW", "merge");
        using (var r = await SendAsync(peers[0], HttpMethod.Put, $"/entities/{id}", Entity(id, type, ("speed", 9))))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["speed"]!.GetValue<int>() == 9 && e["brandName"] is null, "replace");
        using (var r = await SendAsync(peers[0], HttpMethod.Post, $"/entities/{id}/attrs", new JsonObject { ["color"] = new JsonObject { ["type"] = "Property", ["value"] = "green" } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e!["color"]?.GetValue<string>() == "green", "append");
        using (var r = await SendAsync(peers[0], HttpMethod.Delete, $"/entities/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await ExpectBoth(e => e is null, "delete entity");
    }

    [Fact]
    public async Task Delete_RedirectedEntity_DeletedAtSourceOnly()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[1], Entity(id, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "redirect", operations: new JsonArray("redirectionOps"));
        using (var response = await SendAsync(peers[0], HttpMethod.Delete, $"/entities/{id}?type={type}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Null(await LocalAsync(peers[1], id));
        using var again = await SendAsync(peers[0], HttpMethod.Delete, $"/entities/{id}?type={type}");
        Assert.Equal(HttpStatusCode.MultiStatus, again.StatusCode);
        Assert.Equal(404, (await ReadJsonAsync(again))!["errors"]![0]!["error"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_ForwardedBody_KeepsContextAndOnlyRegisteredAttributes()
    {
        await using var source = await FakeContextSource.AnsweringAsync(201, "");
        await using var peers = await StartAsync(1);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], source.BaseAddress, type, propertyNames: new JsonArray("speed"), operations: new JsonArray("createEntity"));
        using var response = await SendAsync(peers[0], HttpMethod.Post, "/entities", Entity(id, type, ("speed", 5), ("brandName", "Audi")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var received = Assert.Single(source.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal("/ngsi-ld/v1/entities", received.PathAndQuery);
        Assert.Equal($$$"""{"id":"{{{id}}}","type":"{{{type}}}","speed":{"type":"Property","value":5}}""", received.Body);
        Assert.StartsWith("1.1 aeros-", received.Headers["Via"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_InclusiveWithBatchOperations_ForwardedPerEntity()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var a = NewId(type);
        var b = NewId(type);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type,
            operations: new JsonArray("createBatch", "upsertBatch", "updateBatch", "mergeBatch", "deleteBatch"));
        using (var create = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create",
            Json(new JsonArray(Entity(a, type, ("speed", 1)), Entity(b, type, ("speed", 2)))))))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        }
        Assert.Equal(2, (await LocalAsync(peers[1], b))!["speed"]!.GetValue<int>());
        Assert.Equal(2, (await LocalAsync(peers[0], b))!["speed"]!.GetValue<int>());
        using (var update = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/update",
            Json(new JsonArray(Entity(a, type, ("speed", 5)))))))
        {
            Assert.Equal(HttpStatusCode.NoContent, update.StatusCode);
        }
        Assert.Equal(5, (await LocalAsync(peers[1], a))!["speed"]!.GetValue<int>());
        // The source loses b: deleting both reports b's failure at the source with the registration, a succeeds everywhere.
        using (var delete = await peers[1].Client.SendAsync(Request(HttpMethod.Delete, $"/entities/{b}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        using var batchDelete = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/delete", Json(new JsonArray(a, b))));
        Assert.Equal(HttpStatusCode.MultiStatus, batchDelete.StatusCode);
        var result = (await ReadJsonAsync(batchDelete))!;
        var error = Assert.Single((JsonArray)result["errors"]!)!;
        Assert.Equal(b, error["entityId"]!.GetValue<string>());
        Assert.Equal(404, error["error"]!["status"]!.GetValue<int>());
        Assert.NotNull(error["error"]!["registrationId"]);
        Assert.Null(await LocalAsync(peers[0], a));
        Assert.Null(await LocalAsync(peers[1], a));
        Assert.Null(await LocalAsync(peers[0], b));
    }

    [Fact]
    public async Task Batch_RedirectWithoutBatchOperations_Returns207Conflict()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        var a = NewId(type);
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "redirect", operations: new JsonArray("redirectionOps"));
        using var create = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/create", Json(new JsonArray(Entity(a, type, ("speed", 1))))));
        Assert.Equal(HttpStatusCode.MultiStatus, create.StatusCode);
        var error = Assert.Single((JsonArray)(await ReadJsonAsync(create))!["errors"]!)!;
        Assert.Equal(409, error["error"]!["status"]!.GetValue<int>());
        Assert.Equal(csr, error["error"]!["registrationId"]!.GetValue<string>());
        Assert.Null(await LocalAsync(peers[0], a));
        Assert.Null(await LocalAsync(peers[1], a));
    }

    [Fact]
    public async Task Update_HangingSource_Returns207WithinTheTimeout()
    {
        await using var source = await FakeContextSource.HangingAsync();
        await using var peers = await StartAsync(1);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type, ("speed", 1)));
        var csr = await RegisterAsync(peers[0], source.BaseAddress, type, operations: new JsonArray("updateOps"), management: new JsonObject { ["timeout"] = 300 });
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await SendAsync(peers[0], HttpMethod.Patch, $"/entities/{id}/attrs",
            new JsonObject { ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 2 } });
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var notUpdated = Assert.Single((JsonArray)(await ReadJsonAsync(response))!["notUpdated"]!)!;
        Assert.Equal(csr, notUpdated["registrationId"]!.GetValue<string>());
        Assert.Contains("no answer within 300 ms", notUpdated["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, (await LocalAsync(peers[0], id))!["speed"]!.GetValue<int>());
        var received = Assert.Single(source.Requests);
        Assert.Equal($"PATCH /ngsi-ld/v1/entities/{id}/attrs/", received.Method + " " + received.PathAndQuery);
    }
}
