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
