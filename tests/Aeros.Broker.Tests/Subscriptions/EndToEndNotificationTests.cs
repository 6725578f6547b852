using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.Notifications;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>The whole path: HTTP write → change feed → matching → dispatcher → a real HTTP receiver on 127.0.0.1.</summary>
public sealed class EndToEndNotificationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly BrokerServer _broker = new();
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        await _broker.InitializeAsync();
        _receiver = await NotificationReceiver.StartAsync(
            (request, _, _) => Task.FromResult(request.Path.EndsWith("/missing", StringComparison.Ordinal) ? 404 : 204));
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? tenant = null, string contentType = "application/json")
    {
        using var request = Ngsi.Request(method, path, json is null ? null : Ngsi.Json(json, contentType), tenant: tenant);
        return await _broker.Client.SendAsync(request).WaitAsync(Deadline);
    }

    private async Task<string> SubscribeAsync(string json, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/subscriptions", json, tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.OriginalString["/ngsi-ld/v1/subscriptions/".Length..];
    }

    private async Task CreateEntityAsync(string id, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/entities",
            "{\"id\": \"" + id + "\", \"type\": \"Vehicle\", \"speed\": {\"type\": \"Property\", \"value\": 80}}", tenant);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<JsonNode> SubscriptionAsync(string id, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Get, "/subscriptions/" + id, tenant: tenant);
        return (await Ngsi.ReadJsonAsync(response))!;
    }

    /// <summary>Polls the subscription until its notification object has <paramref name="member"/> (delivery is asynchronous).</summary>
    private async Task<JsonNode> WaitForMemberAsync(string id, string member, string? tenant = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var notification = (await SubscriptionAsync(id, tenant))["notification"]!;
            if (notification[member] is not null)
            {
                return notification;
            }
            if (watch.Elapsed > Deadline)
            {
                throw new TimeoutException($"notification.{member} of {id} not shown within {Deadline.TotalSeconds} s: {notification.ToJsonString()}");
            }
            await Task.Delay(20);
        }
    }

    // 046_09_01, 046_10_01, 046_11_01: POST with Link, receiverInfo headers and tenant; timesSent and lastSuccess after.
    [Fact]
    public async Task Change_JsonEndpoint_ReceiverGetsNotificationAndStatusIsOk()
    {
        var entity = "urn:ngsi-ld:Vehicle:" + Guid.NewGuid().ToString("N");
        var sub = await SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"id": "{{{{entity}}}}", "type": "Vehicle"}],
             "notification": {"endpoint": {"uri": "{{{{_receiver.Url("/notify")}}}}", "accept": "application/json",
               "receiverInfo": [{"key": "X-Api-Key", "value": "k1"}]}}}
            """, tenant: "fleet");

        await CreateEntityAsync(entity, tenant: "fleet");

        await _receiver.WaitForCountAsync(1, Deadline);
        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/notify", request.Path);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        Assert.Equal("<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"",
            request.Headers["Link"]);
        Assert.Equal("k1", request.Headers["X-Api-Key"]);
        Assert.Equal("fleet", request.Headers["NGSILD-Tenant"]);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal(sub, body["subscriptionId"]!.GetValue<string>());
        var data = Assert.Single(body["data"]!.AsArray())!;
        Assert.Null(data["@context"]);
        Assert.Equal(80, data["speed"]!["value"]!.GetValue<int>());

        var notification = await WaitForMemberAsync(sub, "timesSent", "fleet");
        Assert.Equal("ok", notification["status"]!.GetValue<string>());
        Assert.Equal(1, notification["timesSent"]!.GetValue<int>());
        Assert.NotNull(notification["lastSuccess"]);
        Assert.NotNull(notification["lastNotification"]);
    }

    // 046_14_01: JSON-LD endpoints get @context in the data and no Link header.
    [Fact]
    public async Task Change_LdJsonEndpoint_ContextInDataNoLink()
    {
        var entity = "urn:ngsi-ld:Vehicle:" + Guid.NewGuid().ToString("N");
        await SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"id": "{{{{entity}}}}", "type": "Vehicle"}],
             "notification": {"endpoint": {"uri": "{{{{_receiver.Url("/ld")}}}}", "accept": "application/ld+json"}}}
            """);

        await CreateEntityAsync(entity);

        await _receiver.WaitForCountAsync(1, Deadline);
        var request = Assert.Single(_receiver.Requests);
        Assert.StartsWith("application/ld+json", request.ContentType, StringComparison.Ordinal);
        Assert.False(request.Headers.ContainsKey("Link"));
        var data = JsonNode.Parse(request.Body)!["data"]![0]!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld", data["@context"]!.GetValue<string>());
    }

    // 046_12_01 / 046_13_01: a failed notification counts in timesFailed, lastFailure and status failed.
    [Fact]
    public async Task Change_EndpointAnswers404_StatusFailed()
    {
        var entity = "urn:ngsi-ld:Vehicle:" + Guid.NewGuid().ToString("N");
        var sub = await SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"id": "{{{{entity}}}}", "type": "Vehicle"}],
             "notification": {"endpoint": {"uri": "{{{{_receiver.Url("/missing")}}}}"}}}
            """);

        await CreateEntityAsync(entity);

        var notification = await WaitForMemberAsync(sub, "timesFailed");
        Assert.Equal("failed", notification["status"]!.GetValue<string>());
        Assert.Equal(1, notification["timesSent"]!.GetValue<int>());
        Assert.Equal(1, notification["timesFailed"]!.GetValue<int>());
        Assert.NotNull(notification["lastFailure"]);
        Assert.Null(notification["lastSuccess"]);
    }
}
