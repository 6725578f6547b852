using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.Notifications;
using Aeros.Broker.Tests.Subscriptions;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.RegistrationSubscriptions;

/// <summary>
/// The whole path: /csourceRegistrations write → registration observer → matching → the delivery module's
/// dispatcher → a real HTTP receiver on 127.0.0.1, and a restart of the broker on the same data.
/// </summary>
public sealed class RegistrationSubscriptionEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private SubscriptionHost _host = null!;
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await NotificationReceiver.StartAsync();
        _host = await SubscriptionHost.StartAsync(realDispatcher: true);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private static string NewType() => "T" + Guid.NewGuid().ToString("N");

    private async Task<string> CreateAsync(string path, string json, string? tenant = null)
    {
        using var response = await _host.SendAsync(HttpMethod.Post, path, json, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString[("/ngsi-ld/v1" + path + "/").Length..];
    }

    private string Subscription(string type) => $$"""
        {"type": "Subscription", "entities": [{"type": "{{type}}"}],
         "notification": {"endpoint": {"uri": "{{_receiver.Url("/csr")}}", "receiverInfo": [{"key": "X-Watch", "value": "csr"}] } } }
        """;

    private static JsonNode Body(ReceivedRequest request) => JsonNode.Parse(request.Body)!;

    private static string Reason(ReceivedRequest request) => Body(request)["triggerReason"]!.GetValue<string>();

    /// <summary>Polls the subscription until its timesSent reaches <paramref name="count"/> (delivery is asynchronous).</summary>
    private async Task<JsonNode> WaitForTimesSentAsync(string id, int count, string? tenant = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = await _host.SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + id, tenant: tenant);
            var notification = (await Ngsi.ReadJsonAsync(response))!["notification"]!;
            if (notification["timesSent"]?.GetValue<int>() >= count)
            {
                return notification;
            }
            if (watch.Elapsed > Deadline)
            {
                throw new TimeoutException($"timesSent {count} of {id} not shown within {Deadline.TotalSeconds} s: {notification.ToJsonString()}");
            }
            await Task.Delay(20);
        }
    }

    // 047_02, 047_04, 047_05 over HTTP; tenant header and receiverInfo as headers.
    [Fact]
    public async Task RegistrationLifecycle_RealReceiver_GetsThreeNotificationsInOrderAndStatusOk()
    {
        var type = NewType();
        const string Tenant = "federation";
        var sub = await CreateAsync("/csourceSubscriptions", Subscription(type), Tenant);
        var csr = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(type), Tenant);
        using (var response = await _host.SendAsync(HttpMethod.Patch, "/csourceRegistrations/" + csr, """{"endpoint": "http://127.0.0.1:2000"}""", tenant: Tenant))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        await _host.DeleteAsync("/csourceRegistrations/" + csr, Tenant);

        await _receiver.WaitForCountAsync(3, Deadline);
        var requests = _receiver.Requests;
        Assert.Equal(["newlyMatching", "updated", "noLongerMatching"], requests.Select(Reason));
        foreach (var request in requests)
        {
            Assert.Equal("/csr", request.Path);
            Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
            Assert.Equal("csr", request.Headers["X-Watch"]);
            Assert.Equal(Tenant, request.Headers["NGSILD-Tenant"]);
            Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", request.Headers["Link"], StringComparison.Ordinal);
            var body = Body(request);
            Assert.Equal("ContextSourceNotification", body["type"]!.GetValue<string>());
            Assert.Equal(sub, body["subscriptionId"]!.GetValue<string>());
            Assert.Equal(csr, body["data"]![0]!["id"]!.GetValue<string>());
        }

        var notification = await WaitForTimesSentAsync(sub, 3, Tenant);
        Assert.Equal("ok", notification["status"]!.GetValue<string>());
        Assert.NotNull(notification["lastSuccess"]);
    }

    [Fact]
    public async Task Create_ExistingRegistration_InitialNotificationOnlyForMatching()
    {
        var type = NewType();
        var csr = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(type));
        _ = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(NewType()));

        _ = await CreateAsync("/csourceSubscriptions", Subscription(type));

        await _receiver.WaitForCountAsync(1, Deadline);
        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("newlyMatching", Reason(request));
        Assert.Equal(csr, Assert.Single(Body(request)["data"]!.AsArray())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Restart_Subscription_SurvivesAndNotifiesNewRegistrations()
    {
        var type = NewType();
        var sub = await CreateAsync("/csourceSubscriptions", Subscription(type));
        _ = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(type));
        await _receiver.WaitForCountAsync(1, Deadline);
        _ = await WaitForTimesSentAsync(sub, 1);

        _host = await _host.RestartAsync();

        var second = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(type));
        await _receiver.WaitForCountAsync(2, Deadline);
        var request = _receiver.Requests[1];
        Assert.Equal("newlyMatching", Reason(request));
        Assert.Equal(sub, Body(request)["subscriptionId"]!.GetValue<string>());
        Assert.Equal(second, Body(request)["data"]![0]!["id"]!.GetValue<string>());
        // The status members were stored before the restart and count on.
        var notification = await WaitForTimesSentAsync(sub, 2);
        Assert.Equal(2, notification["timesSent"]!.GetValue<int>());
    }

    // 047_06_01: a notification the receiver refuses counts as sent and failed.
    [Fact]
    public async Task Notification_ReceiverRefuses_StatusFailedWithLastFailure()
    {
        _receiver.Respond = (_, _, _) => Task.FromResult(400);
        var type = NewType();
        var sub = await CreateAsync("/csourceSubscriptions", Subscription(type));
        _ = await CreateAsync("/csourceRegistrations", RegistrationSubscriptionNotificationTests.Registration(type));

        var notification = await WaitForTimesSentAsync(sub, 1);
        Assert.Equal("failed", notification["status"]!.GetValue<string>());
        Assert.Equal(1, notification["timesFailed"]!.GetValue<int>());
        Assert.NotNull(notification["lastFailure"]);
        Assert.NotNull(notification["lastNotification"]);
        Assert.Null(notification["lastSuccess"]);
    }
}
