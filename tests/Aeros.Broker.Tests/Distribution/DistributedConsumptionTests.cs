using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.Distribution.PeerBrokers;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Distribution;

/// <summary>Distributed retrieve and query against real brokers and fake context sources (ETSI suite D010, D011, D018).</summary>
public sealed class DistributedConsumptionTests
{
    private static string NewType() => "T" + Guid.NewGuid().ToString("N");

    private static async Task<(HttpResponseMessage Response, JsonNode? Body)> GetAsync(BrokerServer at, string path, string? via = null)
    {
        var request = Request(HttpMethod.Get, path);
        if (via is not null)
        {
            request.Headers.TryAddWithoutValidation("Via", via);
        }
        var response = await at.Client.SendAsync(request);
        return (response, await ReadJsonAsync(response));
    }

    private static async Task<JsonObject> RegistrationAsync(BrokerServer at, string id)
    {
        var (response, body) = await GetAsync(at, "/csourceRegistrations/" + id);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return (JsonObject)body!;
    }

    private static List<string> Ids(JsonNode? body) => [.. ((JsonArray)body!).Select(e => e!["id"]!.GetValue<string>())];

    [Fact]
    public async Task Retrieve_EntityOnlyAtSource_IsReturnedWithStatsOk()
    {
        // D010_01_inc
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[1], Entity(id, type, ("speed", 80)));
        var csr = await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        var (response, body) = await GetAsync(peers[0], $"/entities/{id}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("NGSILD-Warning"));
        }
        Assert.Equal(80, body!["speed"]!["value"]!.GetValue<int>());
        var registration = await RegistrationAsync(peers[0], csr);
        Assert.Equal("ok", registration["status"]!.GetValue<string>());
        Assert.Equal(1, registration["timesSent"]!.GetValue<int>());
        Assert.Equal(0, registration["timesFailed"]!.GetValue<int>());
        Assert.NotNull(registration["lastSuccess"]);
    }

    [Fact]
    public async Task Retrieve_EntityInBoth_MergesAttributesAndTypes()
    {
        // D010_01_inc: same id → one entity with the attributes of both; the latest observedAt wins per attribute.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        var local = Entity(id, type, ("brandName", "Mercedes"));
        local["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 10, ["observedAt"] = "2024-01-01T00:00:00Z" };
        await CreateAsync(peers[0], local);
        var remote = Entity(id, type, ("color", "red"));
        remote["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 99, ["observedAt"] = "2024-06-01T00:00:00Z" };
        await CreateAsync(peers[1], remote);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        var (response, body) = await GetAsync(peers[0], $"/entities/{id}");
        response.Dispose();
        Assert.Equal("Mercedes", body!["brandName"]!["value"]!.GetValue<string>());
        Assert.Equal("red", body["color"]!["value"]!.GetValue<string>());
        Assert.Equal(99, body["speed"]!["value"]!.GetValue<int>());
        (response, body) = await GetAsync(peers[0], $"/entities/{id}?options=keyValues&attrs=speed,color");
        response.Dispose();
        Assert.Equal($$"""{"id":"{{id}}","type":"{{type}}","speed":99,"color":"red"}""", body!.ToJsonString());
    }

    [Fact]
    public async Task Retrieve_FoundNowhere_Returns404()
    {
        await using var peers = await StartAsync(2);
        var type = NewType();
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        var (response, _) = await GetAsync(peers[0], $"/entities/{NewId(type)}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Retrieve_AuxiliarySource_NeverOverridesLocal()
    {
        // D010_01_aux
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        var local = Entity(id, type);
        local["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 10, ["observedAt"] = "2024-01-01T00:00:00Z" };
        await CreateAsync(peers[0], local);
        var remote = Entity(id, type, ("color", "red"));
        remote["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 99, ["observedAt"] = "2025-01-01T00:00:00Z" };
        await CreateAsync(peers[1], remote);
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "auxiliary");
        var (response, body) = await GetAsync(peers[0], $"/entities/{id}?options=keyValues");
        response.Dispose();
        Assert.Equal(10, body!["speed"]!.GetValue<int>());
        Assert.Equal("red", body["color"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_ExclusiveSource_OwnsRegisteredAttributesOnly()
    {
        // D010_02_exc: the registered attribute comes from the source, other attributes of the source are not taken.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(peers[0], Entity(id, type, ("brandName", "Mercedes")));
        await CreateAsync(peers[1], Entity(id, type, ("speed", 55), ("color", "blue")));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, mode: "exclusive", entityId: id, propertyNames: new JsonArray("speed"));
        var (response, body) = await GetAsync(peers[0], $"/entities/{id}?options=keyValues");
        response.Dispose();
        Assert.Equal($$"""{"id":"{{id}}","type":"{{type}}","brandName":"Mercedes","speed":55}""", body!.ToJsonString());
    }

    [Fact]
    public async Task Query_ThreeBrokers_MergedOrderedByIdAndPaged()
    {
        // D011_01_*_inc: the union of all sources, by id; limit/offset over the merged list; count over all.
        await using var peers = await StartAsync(3);
        var type = NewType();
        var all = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            var id = $"urn:ngsi-ld:{type}:{i:D2}";
            all.Add(id);
            await CreateAsync(peers[i % 3], Entity(id, type, ("n", i)));
        }
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        await RegisterAsync(peers[0], peers[2].BaseAddress, type);
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        response.Dispose();
        Assert.Equal(all, Ids(body));
        (response, body) = await GetAsync(peers[0], $"/entities?type={type}&limit=3&offset=4&count=true");
        using (response)
        {
            Assert.Equal(all.Skip(4).Take(3), Ids(body));
            Assert.Equal("9", response.Headers.GetValues("NGSILD-Results-Count").Single());
            Assert.Contains(response.Headers.GetValues("Link"), l => l.Contains("offset=7", StringComparison.Ordinal) && l.Contains("next", StringComparison.Ordinal));
        }
        (response, body) = await GetAsync(peers[0], $"/entities?type={type}&q=n>=6");
        response.Dispose();
        Assert.Equal(all.Skip(6), Ids(body));
        using var post = await peers[0].Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/query",
            Json($$"""{"type":"Query","entities":[{"type":"{{type}}"}],"q":"n<2"}""")));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(all.Take(2), Ids(await ReadJsonAsync(post)));
    }

    [Fact]
    public async Task Query_LocalTrue_DoesNotForward()
    {
        // D011_02_inc, D010_02_inc
        await using var source = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var peers = await StartAsync(1);
        var type = NewType();
        await RegisterAsync(peers[0], source.BaseAddress, type);
        var (response, _) = await GetAsync(peers[0], $"/entities?type={type}&local=true");
        response.Dispose();
        (response, _) = await GetAsync(peers[0], $"/entities/{NewId(type)}?local=true");
        response.Dispose();
        Assert.Empty(source.Requests);
        (response, _) = await GetAsync(peers[0], $"/entities?type={type}");
        response.Dispose();
        Assert.Single(source.Requests);
    }

    [Fact]
    public async Task Query_ForwardedRequest_IsMinimalWithViaTenantAndSourceInfo()
    {
        // D011_01_05_inc (exact URL), D018_02_* (Via appended), §4.3.6.6 contextSourceInfo, CSR tenant.
        await using var source = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var peers = await StartAsync(1);
        var alias = await AliasAsync(peers[0]);
        var type = NewType();
        await RegisterAsync(peers[0], source.BaseAddress, type, sourceTenant: "remote-tenant",
            contextSourceInfo: new JsonArray(new JsonObject { ["key"] = "X-Api-Key", ["value"] = "k1" },
                new JsonObject { ["key"] = "X-Trace", ["value"] = "urn:ngsi-ld:request" }));
        var request = Request(HttpMethod.Get, $"/entities?type={type}");
        request.Headers.TryAddWithoutValidation("Via", "1.1 upstream");
        request.Headers.TryAddWithoutValidation("X-Trace", "t-42");
        using (var response = await peers[0].Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var received = Assert.Single(source.Requests);
        Assert.Equal("GET", received.Method);
        Assert.Equal($"/ngsi-ld/v1/entities?type={type}", received.PathAndQuery);
        Assert.Equal($"1.1 upstream, 1.1 {alias}", received.Headers["Via"]);
        Assert.Equal("remote-tenant", received.Headers["NGSILD-Tenant"]);
        Assert.Equal("k1", received.Headers["X-Api-Key"]);
        Assert.Equal("t-42", received.Headers["X-Trace"]);
        Assert.Equal("application/json", received.Headers["Accept"]);
    }

    [Fact]
    public async Task Retrieve_ForwardedRequest_IsPlainPathAndLocalOnlyAddsLocalTrue()
    {
        // D010_01_aux expects GET /ngsi-ld/v1/entities/{id}; management.localOnly adds local=true (§4.3.6.4).
        await using var source = await FakeContextSource.AnsweringAsync(404, """{"type":"https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound","title":"nf","status":404,"detail":"x"}""");
        await using var peers = await StartAsync(1);
        var type = NewType();
        var id = NewId(type);
        await RegisterAsync(peers[0], source.BaseAddress, type);
        await RegisterAsync(peers[0], source.BaseAddress, type, management: new JsonObject { ["localOnly"] = true });
        var (response, _) = await GetAsync(peers[0], $"/entities/{id}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.False(response.Headers.Contains("NGSILD-Warning"), "a 404 of a source is an answer, not a failure");
        }
        var paths = source.Requests.Select(r => r.PathAndQuery).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([$"/ngsi-ld/v1/entities/{id}", $"/ngsi-ld/v1/entities/{id}?local=true"], paths);
    }

    [Fact]
    public async Task Request_ViaNamingThisBroker_Returns508()
    {
        // D018_01
        await using var peers = await StartAsync(1);
        var alias = await AliasAsync(peers[0]);
        var (response, body) = await GetAsync(peers[0], $"/entities?type={NewType()}", via: $"1.1 other, 1.1 {alias}");
        using (response)
        {
            Assert.Equal((HttpStatusCode)508, response.StatusCode);
        }
        Assert.Equal(508, body!["status"]!.GetValue<int>());
        (response, _) = await GetAsync(peers[0], $"/entities?type={NewType()}", via: "1.1 other");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Query_RegistrationLoopWithoutAliases_EndsWith508AtTheOriginAndAnswers()
    {
        // A→B→A: B forwards back to A, which sees itself in Via and answers 508; B reports that source as failed
        // and A still gets everything.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var a = NewId(type);
        var b = NewId(type);
        await CreateAsync(peers[0], Entity(a, type));
        await CreateAsync(peers[1], Entity(b, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        var backToA = await RegisterAsync(peers[1], peers[0].BaseAddress, type);
        var stopwatch = Stopwatch.StartNew();
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"the loop took {stopwatch.Elapsed}");
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), Ids(body));
        var registration = await RegistrationAsync(peers[1], backToA);
        Assert.Equal("failed", registration["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Query_RegistrationLoopWithAliases_SkipsVisitedBroker()
    {
        // §5.12: a registration whose contextSourceAlias is in Via is not used.
        await using var peers = await StartAsync(2);
        var type = NewType();
        var a = NewId(type);
        var b = NewId(type);
        await CreateAsync(peers[0], Entity(a, type));
        await CreateAsync(peers[1], Entity(b, type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type, alias: await AliasAsync(peers[1]));
        var backToA = await RegisterAsync(peers[1], peers[0].BaseAddress, type, alias: await AliasAsync(peers[0]));
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("NGSILD-Warning"));
        }
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), Ids(body));
        Assert.Null((await RegistrationAsync(peers[1], backToA))["timesSent"]);
        // From B's side the same holds the other way round.
        (response, body) = await GetAsync(peers[1], $"/entities?type={type}");
        response.Dispose();
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), Ids(body));
    }

    [Fact]
    public async Task Query_StoppedSource_ReturnsTheRestWithWarningAndFailedStats()
    {
        await using var peers = await StartAsync(3);
        var type = NewType();
        var local = NewId(type);
        var reachable = NewId(type);
        await CreateAsync(peers[0], Entity(local, type));
        await CreateAsync(peers[1], Entity(reachable, type));
        await CreateAsync(peers[2], Entity(NewId(type), type));
        await RegisterAsync(peers[0], peers[1].BaseAddress, type);
        var dead = await RegisterAsync(peers[0], peers[2].BaseAddress, type);
        await peers.StopAsync(2);
        var stopwatch = Stopwatch.StartNew();
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var warning = Assert.Single(response.Headers.GetValues("NGSILD-Warning"));
            Assert.StartsWith($"199 {await AliasAsync(peers[0])} \"Context source {peers[2].BaseAddress} of registration {dead} failed: connection failed", warning, StringComparison.Ordinal);
        }
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(6), $"took {stopwatch.Elapsed}");
        Assert.Equal(new[] { local, reachable }.Order(StringComparer.Ordinal), Ids(body));
        var registration = await RegistrationAsync(peers[0], dead);
        Assert.Equal("failed", registration["status"]!.GetValue<string>());
        Assert.Equal(1, registration["timesFailed"]!.GetValue<int>());
        Assert.NotNull(registration["lastFailure"]);
        (response, body) = await GetAsync(peers[0], $"/entities/{reachable}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(dead, Assert.Single(response.Headers.GetValues("NGSILD-Warning")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Query_HangingSource_AnswersWithinTheRegistrationTimeout()
    {
        await using var source = await FakeContextSource.HangingAsync();
        await using var peers = await StartAsync(1);
        var type = NewType();
        var local = NewId(type);
        await CreateAsync(peers[0], Entity(local, type));
        var csr = await RegisterAsync(peers[0], source.BaseAddress, type, management: new JsonObject { ["timeout"] = 300, ["cooldown"] = 60000 });
        var stopwatch = Stopwatch.StartNew();
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("no answer within 300 ms", Assert.Single(response.Headers.GetValues("NGSILD-Warning")), StringComparison.Ordinal);
        }
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        Assert.Equal([local], Ids(body));
        // Inside the cooldown the source is not contacted again; the answer says so.
        var sent = source.Requests.Count;
        (response, _) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Contains("cooldown", Assert.Single(response.Headers.GetValues("NGSILD-Warning")), StringComparison.Ordinal);
        }
        Assert.Equal(sent, source.Requests.Count);
        Assert.Equal(1, (await RegistrationAsync(peers[0], csr))["timesSent"]!.GetValue<int>());
    }

    public static TheoryData<int, string, string, string> GarbageAnswers => new()
    {
        { 200, "this is not json", "application/json", "invalid JSON answer" },
        { 200, """{"id":"urn:x:1"}""", "application/json", "array of entities" },
        { 200, """[{"id":"not a uri","type":"T"}]""", "application/json", "invalid NGSI-LD answer" },
        { 200, """[{"id":"urn:x:1","type":"T","speed":{"type":"Property"}}]""", "application/json", "invalid NGSI-LD answer" },
        { 500, "<html>oops</html>", "text/html", "answered HTTP 500" },
        { 400, """{"type":"https://uri.etsi.org/ngsi-ld/errors/BadRequestData","title":"t","status":400,"detail":"no such thing"}""", "application/json", "no such thing" },
    };

    [Theory]
    [MemberData(nameof(GarbageAnswers))]
    public async Task Query_SourceAnsweringGarbage_IsAReportedFailure(int status, string answer, string contentType, string reason)
    {
        await using var source = await FakeContextSource.AnsweringAsync(status, answer, contentType);
        await using var peers = await StartAsync(1);
        var type = NewType();
        var local = NewId(type);
        await CreateAsync(peers[0], Entity(local, type));
        var csr = await RegisterAsync(peers[0], source.BaseAddress, type);
        var (response, body) = await GetAsync(peers[0], $"/entities?type={type}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var warning = Assert.Single(response.Headers.GetValues("NGSILD-Warning"));
            Assert.Contains(csr, warning, StringComparison.Ordinal);
            Assert.Contains(reason, warning, StringComparison.Ordinal);
        }
        Assert.Equal([local], Ids(body));
        Assert.Equal("failed", (await RegistrationAsync(peers[0], csr))["status"]!.GetValue<string>());
        (response, _) = await GetAsync(peers[0], $"/entities/{local}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Query_NonMatchingRegistration_IsNotUsedAndAttrsNarrowed()
    {
        await using var source = await FakeContextSource.AnsweringAsync(200, "[]");
        await using var peers = await StartAsync(1);
        var type = NewType();
        await RegisterAsync(peers[0], source.BaseAddress, type, propertyNames: new JsonArray("speed"));
        var (response, _) = await GetAsync(peers[0], $"/entities?type={NewType()}");
        response.Dispose();
        (response, _) = await GetAsync(peers[0], $"/entities?type={type}&attrs=color");
        response.Dispose();
        Assert.Empty(source.Requests);
        (response, _) = await GetAsync(peers[0], $"/entities?type={type}&attrs=speed,color");
        response.Dispose();
        Assert.Equal($"/ngsi-ld/v1/entities?type={type}&attrs=speed", Assert.Single(source.Requests).PathAndQuery);
    }

    [Fact]
    public async Task TypesAndAttributes_IncludeWhatSourcesReport()
    {
        await using var peers = await StartAsync(2);
        var localType = NewType();
        var remoteType = NewType();
        await CreateAsync(peers[0], Entity(NewId(localType), localType, ("localAttr", 1)));
        await CreateAsync(peers[1], Entity(NewId(remoteType), remoteType, ("remoteAttr", 1)));
        await RegisterAsync(peers[0], peers[1].BaseAddress, remoteType);
        var (response, body) = await GetAsync(peers[0], "/types");
        response.Dispose();
        var typeList = ((JsonArray)body!["typeList"]!).Select(t => t!.GetValue<string>()).ToList();
        Assert.Contains(localType, typeList);
        Assert.Contains(remoteType, typeList);
        (response, body) = await GetAsync(peers[0], "/attributes");
        response.Dispose();
        var attributeList = ((JsonArray)body!["attributeList"]!).Select(t => t!.GetValue<string>()).ToList();
        Assert.Contains("localAttr", attributeList);
        Assert.Contains("remoteAttr", attributeList);
        (response, body) = await GetAsync(peers[0], "/types?local=true");
        response.Dispose();
        Assert.DoesNotContain(remoteType, ((JsonArray)body!["typeList"]!).Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Query_ByIdAndType_ForwardsPlainIdsAndAcceptsTheAnswer()
    {
        // D011_03_inc_01: GET /entities?id=…&type=Vehicle goes out as written.
        var id = NewId("Vehicle");
        await using var source = await FakeContextSource.AnsweringAsync(200, $$$"""[{"id":"{{{id}}}","type":"Vehicle","speed":{"type":"Property","value":3}}]""");
        await using var peers = await StartAsync(1);
        await RegisterAsync(peers[0], source.BaseAddress, "Vehicle", operations: new JsonArray("queryEntity"));
        var (response, body) = await GetAsync(peers[0], $"/entities?id={id}&type=Vehicle");
        response.Dispose();
        Assert.Equal([id], Ids(body));
        Assert.Equal($"/ngsi-ld/v1/entities?id={id}&type=Vehicle", Assert.Single(source.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Retrieve_ThroughQueryEntityOrQueryBatch_UsesWhatTheRegistrationAllows()
    {
        // D010_03_inc_02/03: a registration without retrieveEntity is asked through a query.
        var id = NewId("Vehicle");
        var entity = $$$"""{"id":"{{{id}}}","type":"Vehicle","speed":{"type":"Property","value":3}}""";
        await using var querySource = await FakeContextSource.AnsweringAsync(200, entity);
        await using var batchSource = await FakeContextSource.AnsweringAsync(200, "[" + entity + "]");
        await using var peers = await StartAsync(1);
        await RegisterAsync(peers[0], querySource.BaseAddress, "Vehicle", operations: new JsonArray("queryEntity"));
        await RegisterAsync(peers[0], batchSource.BaseAddress, "Vehicle", operations: new JsonArray("queryBatch"));
        var (response, body) = await GetAsync(peers[0], $"/entities/{id}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("NGSILD-Warning"));
        }
        Assert.Equal(3, body!["speed"]!["value"]!.GetValue<int>());
        Assert.Equal($"/ngsi-ld/v1/entities?id={id}&type=Vehicle", Assert.Single(querySource.Requests).PathAndQuery);
        var batch = Assert.Single(batchSource.Requests);
        Assert.Equal("POST /ngsi-ld/v1/entityOperations/query", batch.Method + " " + batch.PathAndQuery);
        Assert.Equal($$$"""{"type":"Query","entities":[{"id":"{{{id}}}","type":"Vehicle"}]}""", batch.Body);
    }
}
