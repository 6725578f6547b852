using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.Subscriptions;

public sealed class SubscriptionApiTests : IAsyncLifetime
{
    private const string BadRequestData = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private const string Minimal = """
        {"type": "Subscription", "entities": [{"type": "Building"}],
         "notification": {"endpoint": {"uri": "http://127.0.0.1:1/notify"}}}
        """;

    [Fact]
    public async Task Create_Minimal_201WithGeneratedIdAndLocation()
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/subscriptions", Minimal);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:", location, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(location["/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:".Length..], out _));
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    // 030_03_01 / 028_06: status and the default notificationTrigger are shown, isActive is not invented.
    [Fact]
    public async Task Retrieve_AsCreated_EchoesMembersWithStatusAndDefaultTriggers()
    {
        var id = "urn:ngsi-ld:Subscription:" + Guid.NewGuid();
        await _host.SubscribeAsync("""
            {"id": "SUBID", "type": "Subscription", "timeInterval": 5, "entities": [{"type": "Building"}],
             "notification": {"format": "keyValues", "endpoint": {"uri": "http://localhost:1111/notify", "accept": "application/json"}}}
            """.Replace("SUBID", id, StringComparison.Ordinal));

        var body = await _host.GetSubscriptionAsync(id);

        var expected = JsonNode.Parse("""
            {"id": "SUBID", "type": "Subscription", "entities": [{"type": "Building"}], "notificationTrigger": ["attributeCreated", "attributeUpdated"],
             "timeInterval": 5,
             "notification": {"format": "keyValues", "endpoint": {"uri": "http://localhost:1111/notify", "accept": "application/json"}},
             "status": "active"}
            """.Replace("SUBID", id, StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(expected, body), body.ToJsonString());
    }

    [Fact]
    public async Task Create_ExistingId_409AlreadyExists()
    {
        var id = "urn:ngsi-ld:Subscription:" + Guid.NewGuid();
        var json = Minimal.Replace("{\"type\": \"Subscription\",", $"{{\"id\": \"{id}\", \"type\": \"Subscription\",", StringComparison.Ordinal);
        await _host.SubscribeAsync(json);

        using var again = await _host.SendAsync(HttpMethod.Post, "/subscriptions", json);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", await Ngsi.ErrorTypeAsync(again));
    }
}

public sealed class SubscriptionValidationTests : IAsyncLifetime
{
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private const string Endpoint = "\"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}";

    // Every invalid member answers 400 BadRequestData (028_03_*, 028_05_01/02, 038_08_01/04, 038_09_01).
    [Theory]
    [InlineData("bad id (028_03)", "{\"id\": \"not a uri\", \"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], " + Endpoint + "}")]
    [InlineData("wrong type", "{\"type\": \"Subscriptions\", \"entities\": [{\"type\": \"T\"}], " + Endpoint + "}")]
    [InlineData("no type", "{\"entities\": [{\"type\": \"T\"}], " + Endpoint + "}")]
    [InlineData("no entities nor watchedAttributes", "{\"type\": \"Subscription\", " + Endpoint + "}")]
    [InlineData("empty entities", "{\"type\": \"Subscription\", \"entities\": [], " + Endpoint + "}")]
    [InlineData("entity without type", "{\"type\": \"Subscription\", \"entities\": [{\"id\": \"urn:a:b\"}], " + Endpoint + "}")]
    [InlineData("entity id not a URI", "{\"type\": \"Subscription\", \"entities\": [{\"id\": \"a b\", \"type\": \"T\"}], " + Endpoint + "}")]
    [InlineData("bad idPattern", "{\"type\": \"Subscription\", \"entities\": [{\"idPattern\": \"[\", \"type\": \"T\"}], " + Endpoint + "}")]
    [InlineData("bad type expression", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"(A;\"}], " + Endpoint + "}")]
    [InlineData("empty watchedAttributes (038_08_04)", "{\"type\": \"Subscription\", \"watchedAttributes\": [], " + Endpoint + "}")]
    [InlineData("watchedAttributes not strings", "{\"type\": \"Subscription\", \"watchedAttributes\": [1], " + Endpoint + "}")]
    [InlineData("unknown trigger", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notificationTrigger\": [\"entityTouched\"], " + Endpoint + "}")]
    [InlineData("timeInterval with watchedAttributes", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"watchedAttributes\": [\"a\"], \"timeInterval\": 5, " + Endpoint + "}")]
    [InlineData("timeInterval with throttling (028_05_01)", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"throttling\": 2, \"timeInterval\": 5, " + Endpoint + "}")]
    [InlineData("negative throttling (028_05_02)", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"throttling\": -1, " + Endpoint + "}")]
    [InlineData("negative timeInterval", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"timeInterval\": -5, " + Endpoint + "}")]
    [InlineData("timeInterval as string", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"timeInterval\": \"5\", " + Endpoint + "}")]
    [InlineData("expiresAt in the past (038_09_01)", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"expiresAt\": \"2020-01-01T00:00:00Z\", " + Endpoint + "}")]
    [InlineData("expiresAt not a date", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"expiresAt\": \"tomorrow\", " + Endpoint + "}")]
    [InlineData("isActive not boolean", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"isActive\": \"yes\", " + Endpoint + "}")]
    [InlineData("bad q", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"q\": \"a>>\", " + Endpoint + "}")]
    [InlineData("bad scopeQ", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"scopeQ\": \"nope\", " + Endpoint + "}")]
    [InlineData("bad geoQ georel", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"geoQ\": {\"georel\": \"nearby\", \"geometry\": \"Point\", \"coordinates\": [1, 2]}, " + Endpoint + "}")]
    [InlineData("geoQ without coordinates", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"geoQ\": {\"georel\": \"within\", \"geometry\": \"Polygon\"}, " + Endpoint + "}")]
    [InlineData("bad datasetId", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"datasetId\": [\"not uri\"], " + Endpoint + "}")]
    [InlineData("bad lang", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"lang\": \"fr;q=2\", " + Endpoint + "}")]
    [InlineData("jsonldContext not a URI", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"jsonldContext\": \"ctx\", " + Endpoint + "}")]
    [InlineData("missing notification (038_08_01)", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}]}")]
    [InlineData("missing endpoint", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"format\": \"normalized\"}}")]
    [InlineData("missing endpoint uri", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"accept\": \"application/json\"}}}")]
    [InlineData("endpoint uri not a URI", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"not a uri\"}}}")]
    [InlineData("unsupported endpoint scheme", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"ftp://host/x\"}}}")]
    [InlineData("unknown accept", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"http://h/x\", \"accept\": \"text/xml\"}}}")]
    [InlineData("bad receiverInfo", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"http://h/x\", \"receiverInfo\": [{\"k\": \"a\"}]}}}")]
    [InlineData("bad MQTT-QoS", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"mqtt://h/t\", \"notifierInfo\": [{\"key\": \"MQTT-QoS\", \"value\": \"3\"}]}}}")]
    [InlineData("negative timeout", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"endpoint\": {\"uri\": \"http://h/x\", \"timeout\": -1}}}")]
    [InlineData("unknown format", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"format\": \"compact\", \"endpoint\": {\"uri\": \"http://h/x\"}}}")]
    [InlineData("attributes with pick", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"attributes\": [\"a\"], \"pick\": [\"b\"], \"endpoint\": {\"uri\": \"http://h/x\"}}}")]
    [InlineData("pick and omit the same", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"pick\": [\"a\"], \"omit\": [\"a\"], \"endpoint\": {\"uri\": \"http://h/x\"}}}")]
    [InlineData("showChanges with keyValues", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"format\": \"keyValues\", \"showChanges\": true, \"endpoint\": {\"uri\": \"http://h/x\"}}}")]
    [InlineData("sysAttrs not boolean", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"notification\": {\"sysAttrs\": 1, \"endpoint\": {\"uri\": \"http://h/x\"}}}")]
    [InlineData("unknown member", "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"colour\": \"red\", " + Endpoint + "}")]
    public async Task Create_InvalidMember_400BadRequestData(string what, string body)
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/subscriptions", body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", await Ngsi.ErrorTypeAsync(response));
        using var list = await _host.SendAsync(HttpMethod.Get, "/subscriptions");
        Assert.Equal("[]", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Create_NotJsonOrArray_400InvalidRequest()
    {
        using var notJson = await _host.SendAsync(HttpMethod.Post, "/subscriptions", "{nope");
        using var array = await _host.SendAsync(HttpMethod.Post, "/subscriptions", "[]");

        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await Ngsi.ErrorTypeAsync(notJson));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await Ngsi.ErrorTypeAsync(array));
    }

    // 028_07_02: a jsonldContext that cannot be fetched is 503 LdContextNotAvailable.
    [Fact]
    public async Task Create_UnreachableJsonLdContext_503()
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/subscriptions",
            "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], \"jsonldContext\": \"http://127.0.0.1:1/ctx.jsonld\", " + Endpoint + "}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable", await Ngsi.ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Create_UnknownUrlParameter_400InvalidRequest()
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/subscriptions?foo=1",
            "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"T\"}], " + Endpoint + "}");

        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", await Ngsi.ErrorTypeAsync(response));
    }
}

public sealed class SubscriptionLifecycleTests : IAsyncLifetime
{
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Body(string id, string extra = "") =>
        "{\"id\": \"" + id + "\", \"type\": \"Subscription\", \"entities\": [{\"type\": \"Building\"}]" + extra
        + ", \"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}";

    private static string NewId() => "urn:ngsi-ld:Subscription:" + Guid.NewGuid();

    private async Task<HttpStatusCode> PatchAsync(string id, string fragment, string? link = null)
    {
        using var response = await _host.SendAsync(HttpMethod.Patch, "/subscriptions/" + id, fragment, link);
        return response.StatusCode;
    }

    // 031_01 / 031_02_01..03: pages ordered by id, Link prev/next exactly like the entity query, count header.
    [Fact]
    public async Task List_Paged_LinkHeadersAndCount()
    {
        var ids = Enumerable.Range(0, 5).Select(i => $"urn:ngsi-ld:Subscription:page-{i}").ToArray();
        foreach (var id in ids.Reverse())
        {
            await _host.SubscribeAsync(Body(id));
        }

        using var response = await _host.SendAsync(HttpMethod.Get, "/subscriptions?limit=2&offset=2&count=true");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = (await Ngsi.ReadJsonAsync(response))!.AsArray();
        Assert.Equal(ids[2..4], page.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal("5", response.Headers.GetValues("NGSILD-Results-Count").Single());
        var links = response.Headers.GetValues("Link").ToArray();
        Assert.Contains("</ngsi-ld/v1/subscriptions?count=true&limit=2&offset=0>;rel=\"prev\";type=\"application/ld+json\"", links);
        Assert.Contains("</ngsi-ld/v1/subscriptions?count=true&limit=2&offset=4>;rel=\"next\";type=\"application/ld+json\"", links);
    }

    [Fact]
    public async Task List_TooLargeLimit_403TooManyResults()
    {
        using var response = await _host.SendAsync(HttpMethod.Get, "/subscriptions?limit=5000");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/TooManyResults", await Ngsi.ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Retrieve_LdJsonAndTermsCompactedWithRequestContext()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id, ", \"watchedAttributes\": [\"ex:speed\"], \"q\": \"ex:speed>3\""));
        var compact = await _host.GetSubscriptionAsync(id);
        Assert.Equal("ex:speed", compact["watchedAttributes"]![0]!.GetValue<string>());

        using var ld = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id, accept: "application/ld+json");
        Assert.Equal("application/ld+json", ld.Content.Headers.ContentType!.MediaType);
        Assert.False(ld.Headers.Contains("Link"));
        var body = (await Ngsi.ReadJsonAsync(ld))!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld", body["@context"]!.GetValue<string>());
        Assert.Equal("ex:speed>3", body["q"]!.GetValue<string>());

        using var geo = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id, accept: "application/geo+json");
        Assert.Equal(HttpStatusCode.NotAcceptable, geo.StatusCode);
    }

    [Fact]
    public async Task UnknownSubscription_404OnRetrievePatchDelete()
    {
        var id = NewId();
        using var get = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id);
        using var delete = await _host.SendAsync(HttpMethod.Delete, "/subscriptions/" + id);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", await Ngsi.ErrorTypeAsync(get));
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await PatchAsync(id, "{\"isActive\": false}")); // 029_02_01
        using var badId = await _host.SendAsync(HttpMethod.Get, "/subscriptions/not%20a%20uri");
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }

    [Fact]
    public async Task Tenant_UnknownTenant404_SubscriptionsIsolated()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id), tenant: "t1");

        using var other = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id);
        using var unknown = await _host.SendAsync(HttpMethod.Get, "/subscriptions", tenant: "nope");
        using var own = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id, tenant: "t1");

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant", await Ngsi.ErrorTypeAsync(unknown));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    // 029_07..029_10: isActive and expiresAt drive the status.
    [Fact]
    public async Task Patch_StatusTransitions()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id));
        Assert.Equal(HttpStatusCode.NoContent, await PatchAsync(id, "{\"isActive\": false}"));
        Assert.Equal("paused", (await _host.GetSubscriptionAsync(id))["status"]!.GetValue<string>());
        Assert.False((await _host.GetSubscriptionAsync(id))["isActive"]!.GetValue<bool>());

        var future = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.NoContent, await PatchAsync(id, "{\"isActive\": true, \"expiresAt\": \"" + future + "\"}"));
        var active = await _host.GetSubscriptionAsync(id);
        Assert.Equal("active", active["status"]!.GetValue<string>());
        Assert.Equal(future, active["expiresAt"]!.GetValue<string>());

        // 029_11_01: an expiresAt in the past is refused on update too.
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"expiresAt\": \"2001-01-01T00:00:00Z\"}"));
    }

    // 029_03_01 / 029_04_01: wrong types and removing mandatory members are 400; nothing changes.
    [Fact]
    public async Task Patch_InvalidFragment_400AndUnchanged()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id));

        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"throttling\": \"fast\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"notification\": null}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"entities\": null}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"timeInterval\": 3, \"watchedAttributes\": [\"a\"]}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PatchAsync(id, "{\"id\": \"urn:ngsi-ld:Subscription:other\"}"));

        var body = await _host.GetSubscriptionAsync(id);
        Assert.Null(body["throttling"]);
        Assert.Equal("Building", body["entities"]![0]!["type"]!.GetValue<string>());
    }

    // 029_05_*: the fragment is merged with term expansion (its own context), other members kept.
    [Fact]
    public async Task Patch_Fragment_MergedWithTermExpansion()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id, ", \"watchedAttributes\": [\"speed\"], \"subscriptionName\": \"one\""));
        using var patch = await _host.SendAsync(HttpMethod.Patch, "/subscriptions/" + id, """
            {"watchedAttributes": ["height"], "description": "d", "subscriptionName": null,
             "notification": {"format": "concise", "endpoint": {"accept": "application/ld+json"}},
             "@context": {"height": "http://example.org/height"}}
            """, contentType: "application/ld+json");
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);

        var body = await _host.GetSubscriptionAsync(id);
        Assert.Equal("http://example.org/height", body["watchedAttributes"]![0]!.GetValue<string>());
        Assert.Equal("d", body["description"]!.GetValue<string>());
        Assert.Null(body["subscriptionName"]);
        Assert.Equal("concise", body["notification"]!["format"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:1/n", body["notification"]!["endpoint"]!["uri"]!.GetValue<string>());
        Assert.Equal("application/ld+json", body["notification"]!["endpoint"]!["accept"]!.GetValue<string>());
        Assert.Equal(["attributeCreated", "attributeUpdated"], body["notificationTrigger"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Restart_SubscriptionsStatsAndNotificationsSurvive()
    {
        var id = NewId();
        await _host.SubscribeAsync(Body(id, ", \"q\": \"height>10\", \"subscriptionName\": \"kept\""), tenant: "r1");
        var entity = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities",
            "{\"id\": \"" + entity + "\", \"type\": \"Building\", \"height\": {\"type\": \"Property\", \"value\": 20}}", HttpStatusCode.Created, tenant: "r1");
        await _host.Dispatcher.WaitForAsync(id, 1);
        _host.Dispatcher.Queued.Single().Observer.Completed(Aeros.Broker.Notifications.DeliveryResult.Ok, DateTimeOffset.UtcNow);

        _host = await _host.RestartAsync();

        using var response = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + id, tenant: "r1");
        var body = (await Ngsi.ReadJsonAsync(response))!;
        Assert.Equal("kept", body["subscriptionName"]!.GetValue<string>());
        Assert.Equal("height>10", body["q"]!.GetValue<string>());
        Assert.Equal(1, body["notification"]!["timesSent"]!.GetValue<int>());
        Assert.Equal("ok", body["notification"]!["status"]!.GetValue<string>());
        await _host.WriteEntityAsync(HttpMethod.Patch, $"/entities/{entity}/attrs", "{\"height\": {\"type\": \"Property\", \"value\": 30}}", HttpStatusCode.NoContent, tenant: "r1");
        var data = (await _host.Dispatcher.WaitForAsync(id, 1))[0]["data"]![0]!;
        Assert.Equal(30, data["height"]!["value"]!.GetValue<int>());
    }
    [Fact]
    public async Task Restart_ManySubscriptionsInTwoTenants_EachTenantIndexedAgain()
    {
        // Loaded subscriptions are indexed once per tenant after the load: by entity id in one tenant, by type in another.
        var entities = Enumerable.Range(0, 40).Select(_ => "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N")).ToArray();
        var byId = new string[entities.Length];
        for (var i = 0; i < entities.Length; i++)
        {
            byId[i] = NewId();
            await _host.SubscribeAsync("{\"id\": \"" + byId[i] + "\", \"type\": \"Subscription\", \"entities\": [{\"id\": \"" + entities[i]
                + "\", \"type\": \"Building\"}], \"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}", tenant: "many1");
        }
        var byType = NewId();
        await _host.SubscribeAsync(Body(byType), tenant: "many2");

        _host = await _host.RestartAsync();

        await _host.WriteEntityAsync(HttpMethod.Post, "/entities",
            "{\"id\": \"" + entities[7] + "\", \"type\": \"Building\", \"height\": {\"type\": \"Property\", \"value\": 7}}", HttpStatusCode.Created, tenant: "many1");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities",
            "{\"id\": \"" + entities[8] + "\", \"type\": \"Building\", \"height\": {\"type\": \"Property\", \"value\": 8}}", HttpStatusCode.Created, tenant: "many2");
        var seven = (await _host.Dispatcher.WaitForAsync(byId[7], 1))[0]["data"]![0]!;
        Assert.Equal(entities[7], seven["id"]!.GetValue<string>());
        var typed = (await _host.Dispatcher.WaitForAsync(byType, 1))[0]["data"]![0]!;
        Assert.Equal(entities[8], typed["id"]!.GetValue<string>());
        // Only the subscription on entity 7 heard of it (entity 8 was written in the other tenant).
        Assert.Single(_host.Dispatcher.Queued, q => q.Key.EndsWith("\n" + byId[7], StringComparison.Ordinal));
        Assert.DoesNotContain(_host.Dispatcher.Queued, q => q.Key.EndsWith("\n" + byId[8], StringComparison.Ordinal));
    }
}
