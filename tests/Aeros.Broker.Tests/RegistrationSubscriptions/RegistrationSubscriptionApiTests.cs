using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.Api;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.RegistrationSubscriptions;

/// <summary>The /csourceSubscriptions API (ETSI suite 038–042) on a real broker.</summary>
public sealed class RegistrationSubscriptionApiTests(BrokerServerFixture fixture) : IClassFixture<BrokerServerFixture>
{
    private const string BadRequestData = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";

    private HttpClient Client => fixture.Server.Client;

    private static string Body(string type, string? id = null, string extra = "") =>
        "{" + (id is null ? "" : $"\"id\": \"{id}\",") + "\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}],"
        + " \"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:9/notify\"}}" + extra + "}";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? tenant = null)
    {
        using var request = Request(method, path, json is null ? null : Json(json), tenant: tenant);
        return await Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task<string> CreateAsync(string json, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/csourceSubscriptions", json, tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/ngsi-ld/v1/csourceSubscriptions/", location, StringComparison.Ordinal);
        return location["/ngsi-ld/v1/csourceSubscriptions/".Length..];
    }

    private async Task<JsonObject> GetAsync(string id, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + id, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (JsonObject)(await ReadJsonAsync(response))!;
    }

    // 038_01_01, 040_01_01
    [Fact]
    public async Task Create_WithId_Returns201AndRetrieveReturnsIt()
    {
        var id = NewId("Subscription");
        Assert.Equal(id, await CreateAsync(Body("Vehicle", id, ", \"subscriptionName\": \"csr watch\"")));

        var stored = await GetAsync(id);
        Assert.Equal(id, stored["id"]!.GetValue<string>());
        Assert.Equal("Subscription", stored["type"]!.GetValue<string>());
        Assert.Equal("csr watch", stored["subscriptionName"]!.GetValue<string>());
        Assert.Equal("Vehicle", stored["entities"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:9/notify", stored["notification"]!["endpoint"]!["uri"]!.GetValue<string>());
        Assert.Equal("active", stored["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithoutId_GeneratesSubscriptionUri()
    {
        var id = await CreateAsync(Body("Vehicle"));
        Assert.StartsWith("urn:ngsi-ld:Subscription:", id, StringComparison.Ordinal);
        Assert.Equal(id, (await GetAsync(id))["id"]!.GetValue<string>());
    }

    // 038_03_01
    [Fact]
    public async Task Create_ExistingId_Returns409AlreadyExists()
    {
        var id = await CreateAsync(Body("Vehicle"));
        using var response = await SendAsync(HttpMethod.Post, "/csourceSubscriptions", Body("Vehicle", id));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Create_SameIdAsEntitySubscription_BothExist()
    {
        // The two resources are distinct: an id of /subscriptions does not collide with /csourceSubscriptions.
        var id = NewId("Subscription");
        using (var response = await SendAsync(HttpMethod.Post, "/subscriptions", Body("Vehicle", id)))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        Assert.Equal(id, await CreateAsync(Body("Vehicle", id)));
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { "no notification", """{"type": "Subscription", "entities": [{"type": "V"}]}""" },
        { "no selection", """{"type": "Subscription", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "wrong type", """{"type": "Registration", "entities": [{"type": "V"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "bad id", """{"id": "not a uri", "type": "Subscription", "entities": [{"type": "V"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "empty watchedAttributes", """{"type": "Subscription", "watchedAttributes": [], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "past expiresAt", """{"type": "Subscription", "entities": [{"type": "V"}], "expiresAt": "2000-01-01T00:00:00Z", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "bad q", """{"type": "Subscription", "entities": [{"type": "V"}], "q": "brand==", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
        { "geojson accept", """{"type": "Subscription", "entities": [{"type": "V"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n", "accept": "application/geo+json"}}}""" },
        { "negative throttling", """{"type": "Subscription", "entities": [{"type": "V"}], "throttling": -1, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""" },
    };

    // 038_02_01, 038_08, 038_09
    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_InvalidMember_Returns400BadRequestData(string what, string json)
    {
        using var response = await SendAsync(HttpMethod.Post, "/csourceSubscriptions", json);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, what + ": " + (int)response.StatusCode);
        Assert.Equal(BadRequestData, await ErrorTypeAsync(response));
    }

    // 041_01_01, 041_02: the tenant's subscriptions by id, paged with Link rel=prev/next.
    [Fact]
    public async Task List_LimitOffsetCount_PagesWithLinks()
    {
        var tenant = "t" + Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await CreateAsync(Body("Vehicle"), tenant));
        }
        ids.Sort(StringComparer.Ordinal);

        using var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions?limit=1&offset=1&count=true", tenant: tenant);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("NGSILD-Results-Count").Single());
        var page = (await ReadJsonAsync(response))!.AsArray();
        Assert.Equal(ids[1], Assert.Single(page)!["id"]!.GetValue<string>());
        var links = response.Headers.GetValues("Link").SelectMany(l => l.Replace(" ", "", StringComparison.Ordinal).Split(',')).ToList();
        Assert.Contains("</ngsi-ld/v1/csourceSubscriptions?count=true&limit=1&offset=0>;rel=\"prev\";type=\"application/ld+json\"", links);
        Assert.Contains("</ngsi-ld/v1/csourceSubscriptions?count=true&limit=1&offset=2>;rel=\"next\";type=\"application/ld+json\"", links);

        // Entity subscriptions are another resource: they are not listed here.
        using var none = await SendAsync(HttpMethod.Get, "/subscriptions?count=true", tenant: tenant);
        Assert.Equal("0", none.Headers.GetValues("NGSILD-Results-Count").Single());
    }

    // 041_04_01
    [Fact]
    public async Task List_NegativeLimit_Returns400()
    {
        using var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions?limit=-1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    // 040_02_01, 042_02_01
    [Fact]
    public async Task RetrieveDelete_UnknownId_Return404()
    {
        var id = NewId("Subscription");
        using (var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", await ErrorTypeAsync(response));
        }
        using (var response = await SendAsync(HttpMethod.Delete, "/csourceSubscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var response = await SendAsync(HttpMethod.Patch, "/csourceSubscriptions/" + id, """{"subscriptionName": "x"}"""))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    // 039_01_01, 039_03 (status after update)
    [Fact]
    public async Task Update_Fragment_MergedAndPausedThenActive()
    {
        var id = await CreateAsync(Body("Vehicle"));
        using (var response = await SendAsync(HttpMethod.Patch, "/csourceSubscriptions/" + id,
            """{"isActive": false, "watchedAttributes": ["speed"], "notification": {"endpoint": {"accept": "application/ld+json"}}}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        var paused = await GetAsync(id);
        Assert.Equal("paused", paused["status"]!.GetValue<string>());
        Assert.Equal("[\"speed\"]", paused["watchedAttributes"]!.ToJsonString());
        Assert.Equal("application/ld+json", paused["notification"]!["endpoint"]!["accept"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:9/notify", paused["notification"]!["endpoint"]!["uri"]!.GetValue<string>());

        using (var response = await SendAsync(HttpMethod.Patch, "/csourceSubscriptions/" + id, """{"isActive": true}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal("active", (await GetAsync(id))["status"]!.GetValue<string>());
    }

    // 039_02_01, 039_04_01
    [Fact]
    public async Task Update_InvalidFragment_Returns400AndKeepsSubscription()
    {
        var id = await CreateAsync(Body("Vehicle"));
        foreach (var fragment in new[] { """{"notification": null}""", """{"throttling": "fast"}""", """{"expiresAt": "2000-01-01T00:00:00Z"}""", "{}" })
        {
            using var response = await SendAsync(HttpMethod.Patch, "/csourceSubscriptions/" + id, fragment);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, fragment + ": " + (int)response.StatusCode);
        }
        Assert.Equal("active", (await GetAsync(id))["status"]!.GetValue<string>());
    }

    // 042_01_01
    [Fact]
    public async Task Delete_Existing_Returns204ThenGone()
    {
        var id = await CreateAsync(Body("Vehicle"));
        using (var response = await SendAsync(HttpMethod.Delete, "/csourceSubscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        using (var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Retrieve_OtherTenant_404AndUnknownTenantNonexistent()
    {
        var tenant = "t" + Guid.NewGuid().ToString("N");
        var id = await CreateAsync(Body("Vehicle"), tenant);
        Assert.Equal(id, (await GetAsync(id, tenant))["id"]!.GetValue<string>());
        using (var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var response = await SendAsync(HttpMethod.Get, "/csourceSubscriptions", tenant: "unknown" + Guid.NewGuid().ToString("N")))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant", await ErrorTypeAsync(response));
        }
    }
}
