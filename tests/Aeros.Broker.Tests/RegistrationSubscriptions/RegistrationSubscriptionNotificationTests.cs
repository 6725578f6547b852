using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Tests.RegistrationSubscriptions;

/// <summary>
/// Which registration changes a /csourceSubscriptions subscription is notified of, and with what
/// (ETSI GS CIM 009 §5.11, suite 047_xx), on a real broker whose dispatcher records the notifications. The
/// notifier runs inside the registration request, so "nothing sent" holds as soon as the request answered.
/// </summary>
public sealed class RegistrationSubscriptionNotificationTests : IAsyncLifetime
{
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string NewType() => "T" + Guid.NewGuid().ToString("N");

    internal static string Registration(string type, string? id = null, string properties = "\"speed\", \"brandName\"", string extra = "") =>
        "{" + (id is null ? "" : $"\"id\": \"{id}\",") + "\"type\": \"ContextSourceRegistration\","
        + " \"information\": [{\"entities\": [{\"type\": \"" + type + "\"}], \"propertyNames\": [" + properties + "]}],"
        + " \"endpoint\": \"http://127.0.0.1:1026\"" + extra + "}";

    internal static string CSubscription(string selection, string uri = "http://127.0.0.1:9/notify", string extra = "") =>
        "{\"type\": \"Subscription\", " + selection + ", \"notification\": {\"endpoint\": {\"uri\": \"" + uri + "\"}}" + extra + "}";

    private async Task<string> SubscribeAsync(string json, string? tenant = null)
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/csourceSubscriptions", json, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"subscribe: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceSubscriptions/".Length..];
    }

    private async Task<string> RegisterAsync(string json, string? tenant = null)
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "/csourceRegistrations", json, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"register: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceRegistrations/".Length..];
    }

    private async Task PatchRegistrationAsync(string id, string json)
    {
        using var response = await _host.SendAsync(HttpMethod.Patch, "/csourceRegistrations/" + id, json);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"patch: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string Reason(JsonObject notification) => notification["triggerReason"]!.GetValue<string>();

    private static JsonNode Single(JsonObject notification) => Assert.Single(notification["data"]!.AsArray())!;

    // 047_02 (create), 047_04 (update), 047_05 (delete): the three trigger reasons with the registration as data.
    [Fact]
    public async Task RegistrationLifecycle_MatchingType_NewlyMatchingUpdatedNoLongerMatching()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]"));
        Assert.Empty(_host.Dispatcher.For(sub));

        var csr = await RegisterAsync(Registration(type));
        await PatchRegistrationAsync(csr, """{"endpoint": "http://127.0.0.1:2000"}""");
        await _host.DeleteAsync("/csourceRegistrations/" + csr);

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 3);
        Assert.Equal(["newlyMatching", "updated", "noLongerMatching"], notifications.Select(Reason));
        foreach (var n in notifications)
        {
            Assert.Equal("ContextSourceNotification", n["type"]!.GetValue<string>());
            Assert.Equal(sub, n["subscriptionId"]!.GetValue<string>());
            Assert.StartsWith("urn:ngsi-ld:Notification:", n["id"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.NotNull(n["notifiedAt"]);
            var data = Single(n);
            Assert.Equal(csr, data["id"]!.GetValue<string>());
            Assert.Equal("ContextSourceRegistration", data["type"]!.GetValue<string>());
            Assert.Equal(type, data["information"]![0]!["entities"]![0]!["type"]!.GetValue<string>());
            Assert.Null(data["@context"]);
        }
        Assert.Equal("http://127.0.0.1:1026", Single(notifications[0])["endpoint"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:2000", Single(notifications[1])["endpoint"]!.GetValue<string>());
        var message = _host.Dispatcher.Queued.First(q => q.Key.EndsWith(sub, StringComparison.Ordinal)).Message;
        Assert.Equal("application/json", message.ContentType);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", message.Link, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ExistingMatchingRegistrations_InitialNewlyMatchingWithAllOfThem()
    {
        var type = NewType();
        var first = await RegisterAsync(Registration(type));
        var second = await RegisterAsync(Registration(type));
        _ = await RegisterAsync(Registration(NewType()));

        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]"));

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        Assert.Equal("newlyMatching", Reason(notification));
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), notification["data"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Create_NoMatchingRegistration_NoInitialNotification()
    {
        _ = await RegisterAsync(Registration(NewType()));
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{NewType()}\"}}]"));
        Assert.Empty(_host.Dispatcher.For(sub));
    }

    [Fact]
    public async Task RegistrationChange_OtherTypeOrTenant_NothingSent()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]"));
        var other = await RegisterAsync(Registration(NewType()));
        await PatchRegistrationAsync(other, """{"endpoint": "http://127.0.0.1:2000"}""");
        await _host.DeleteAsync("/csourceRegistrations/" + other);
        _ = await RegisterAsync(Registration(type), tenant: "elsewhere");

        Assert.Empty(_host.Dispatcher.For(sub));
        // The same registration in the subscription's tenant is seen: the silence above is not a broken notifier.
        _ = await RegisterAsync(Registration(type));
        Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
    }

    // 047_03_01: only the matching RegistrationInfo entries are sent.
    [Fact]
    public async Task Notification_RegistrationWithSeveralInformation_OnlyMatchingEntries()
    {
        var building = NewType();
        var bus = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{building}\"}}]"));

        _ = await RegisterAsync($$"""
            {"type": "ContextSourceRegistration", "endpoint": "http://127.0.0.1:1026",
             "information": [{"entities": [{"type": "{{building}}"}]}, {"entities": [{"type": "{{bus}}"}]}]}
            """);

        var data = Single(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        var information = Assert.Single(data["information"]!.AsArray())!;
        Assert.Equal(building, information["entities"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_MatchChanges_NewlyMatchingThenNoLongerMatching()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]"));
        var csr = await RegisterAsync(Registration(NewType()));
        Assert.Empty(_host.Dispatcher.For(sub));

        await PatchRegistrationAsync(csr, $$"""{"information": [{"entities": [{"type": "{{type}}"}]}]}""");
        await PatchRegistrationAsync(csr, $$"""{"information": [{"entities": [{"type": "{{NewType()}}"}]}]}""");

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal(["newlyMatching", "noLongerMatching"], notifications.Select(Reason));
        Assert.Equal(csr, Single(notifications[1])["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchedAttributes_AgainstPropertyNames_OnlyRegistrationsListingOneOrNone()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription("\"watchedAttributes\": [\"speed\"]"));

        var withSpeed = await RegisterAsync(Registration(type, properties: "\"speed\""));
        _ = await RegisterAsync(Registration(type, properties: "\"brandName\""));
        var allAttributes = await RegisterAsync($$"""
            {"type": "ContextSourceRegistration", "information": [{"entities": [{"type": "{{type}}"}]}], "endpoint": "http://127.0.0.1:1026"}
            """);

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal([withSpeed, allAttributes], notifications.Select(n => Single(n)["id"]!.GetValue<string>()));
        Assert.Equal(2, _host.Dispatcher.For(sub).Count);
    }

    [Fact]
    public async Task EntitiesById_AgainstRegisteredIdAndPattern_Matches()
    {
        var type = NewType();
        var entity = "urn:ngsi-ld:" + type + ":1";
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"id\": \"{entity}\", \"type\": \"{type}\"}}]"));

        var byId = await RegisterAsync($$"""
            {"type": "ContextSourceRegistration", "endpoint": "http://127.0.0.1:1026",
             "information": [{"entities": [{"id": "{{entity}}", "type": "{{type}}"}]}]}
            """);
        var byPattern = await RegisterAsync($$"""
            {"type": "ContextSourceRegistration", "endpoint": "http://127.0.0.1:1026",
             "information": [{"entities": [{"idPattern": "urn:ngsi-ld:{{type}}:.*", "type": "{{type}}"}]}]}
            """);
        _ = await RegisterAsync($$"""
            {"type": "ContextSourceRegistration", "endpoint": "http://127.0.0.1:1026",
             "information": [{"entities": [{"id": "urn:ngsi-ld:{{type}}:2", "type": "{{type}}"}]}]}
            """);

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal([byId, byPattern], notifications.Select(n => Single(n)["id"]!.GetValue<string>()));
        Assert.Equal(2, _host.Dispatcher.For(sub).Count);
    }

    [Fact]
    public async Task GeoQ_AgainstLocation_OnlyRegistrationsInsideOrWithout()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($$"""
            "entities": [{"type": "{{type}}"}], "geoQ": {"geometry": "Polygon", "georel": "within",
              "coordinates": [[[13, 52], [14, 52], [14, 53], [13, 53], [13, 52]]]}
            """));

        var inside = await RegisterAsync(Registration(type, extra: ", \"location\": {\"type\": \"Point\", \"coordinates\": [13.4, 52.5]}"));
        _ = await RegisterAsync(Registration(type, extra: ", \"location\": {\"type\": \"Point\", \"coordinates\": [2.35, 48.85]}"));
        var unlocated = await RegisterAsync(Registration(type));

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal([inside, unlocated], notifications.Select(n => Single(n)["id"]!.GetValue<string>()));
        Assert.Equal(2, _host.Dispatcher.For(sub).Count);
    }

    [Fact]
    public async Task Q_OnContextSourceProperties_OnlyMatchingRegistrations()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}], \"q\": \"brand==\\\"ACME\\\"\""));

        var acme = await RegisterAsync(Registration(type, extra: ", \"brand\": \"ACME\""));
        _ = await RegisterAsync(Registration(type, extra: ", \"brand\": \"Other\""));

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        Assert.Equal(acme, Single(notification)["id"]!.GetValue<string>());
        Assert.Single(_host.Dispatcher.For(sub));
    }

    [Fact]
    public async Task Csf_OnContextSourceProperties_FiltersAndSurvivesRestart()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}], \"csf\": \"level>2\""));
        _ = await RegisterAsync(Registration(type, extra: ", \"level\": 1"));
        Assert.Empty(_host.Dispatcher.For(sub));

        _host = await _host.RestartAsync();

        using (var response = await _host.SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + sub))
        {
            Assert.Equal("level>2", (await Aeros.Broker.Tests.TestSupport.Ngsi.ReadJsonAsync(response))!["csf"]!.GetValue<string>());
        }
        var high = await RegisterAsync(Registration(type, extra: ", \"level\": 3"));
        _ = await RegisterAsync(Registration(type, extra: ", \"level\": 2"));
        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        Assert.Equal(high, Single(notification)["id"]!.GetValue<string>());
        Assert.Single(_host.Dispatcher.For(sub));

        // csf stays a /csourceSubscriptions member: entity subscriptions do not support it.
        using var entitySubscription = await _host.SendAsync(HttpMethod.Post, "/subscriptions",
            CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}], \"csf\": \"level>2\""));
        Assert.Equal((HttpStatusCode)422, entitySubscription.StatusCode);
    }

    [Fact]
    public async Task PausedSubscription_RegistrationCreated_NothingUntilActiveAgain()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]", extra: ", \"isActive\": false"));
        _ = await RegisterAsync(Registration(type));
        Assert.Empty(_host.Dispatcher.For(sub));

        using (var response = await _host.SendAsync(HttpMethod.Patch, "/csourceSubscriptions/" + sub, """{"isActive": true}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        _ = await RegisterAsync(Registration(type));
        Assert.Equal("newlyMatching", Reason(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1))));
    }

    [Fact]
    public async Task Notification_LdJsonEndpoint_CompactedWithSubscriptionContextInData()
    {
        var type = NewType();
        string subscription = $$"""
            {"type": "Subscription", "entities": [{"type": "{{type}}"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n", "accept": "application/ld+json"}, "sysAttrs": true},
             "@context": {"{{type}}": "https://example.org/{{type}}", "velocity": "https://example.org/velocity"} }
            """;
        string sub;
        using (var response = await _host.SendAsync(HttpMethod.Post, "/csourceSubscriptions", subscription, contentType: "application/ld+json"))
        {
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            sub = response.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceSubscriptions/".Length..];
        }

        _ = await RegisterAsync(Registration("https://example.org/" + type, properties: "\"https://example.org/velocity\""));

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        var data = Single(notification);
        Assert.Equal(type, data["information"]![0]!["entities"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("[\"velocity\"]", data["information"]![0]!["propertyNames"]!.ToJsonString());
        Assert.NotNull(data["@context"]);
        Assert.NotNull(data["createdAt"]);
        var message = _host.Dispatcher.Queued.Single(q => q.Key.EndsWith(sub, StringComparison.Ordinal)).Message;
        Assert.Equal("application/ld+json", message.ContentType);
        Assert.Null(message.Link);
    }

    [Fact]
    public async Task Restart_SubscriptionAndStatus_SurviveAndStillNotify()
    {
        var type = NewType();
        var sub = await SubscribeAsync(CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]"));
        _ = await RegisterAsync(Registration(type));
        var (_, _, observer) = Assert.Single(_host.Dispatcher.Queued, q => q.Key.EndsWith(sub, StringComparison.Ordinal));
        observer.Completed(new Aeros.Broker.Notifications.DeliveryResult(true, false, null), DateTimeOffset.UtcNow);

        _host = await _host.RestartAsync();

        using (var response = await _host.SendAsync(HttpMethod.Get, "/csourceSubscriptions/" + sub))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = (await Aeros.Broker.Tests.TestSupport.Ngsi.ReadJsonAsync(response))!;
            Assert.Equal(type, stored["entities"]![0]!["type"]!.GetValue<string>());
            Assert.Equal(1, stored["notification"]!["timesSent"]!.GetValue<int>());
            Assert.Equal("ok", stored["notification"]!["status"]!.GetValue<string>());
        }
        // The restarted broker knows the registration too: deleting it is noLongerMatching.
        var csr = _host.Services.GetRequiredService<Aeros.Broker.Registrations.RegistrationRegistry>().For("").Single(e => e.Registration.Information[0].Entities![0].Type.EndsWith(type, StringComparison.Ordinal)).Registration.Id;
        await _host.DeleteAsync("/csourceRegistrations/" + csr);
        Assert.Equal("noLongerMatching", Reason(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1))));
    }

    // 047_01_01: with timeInterval, all matching registrations initially and then every interval; changes alone send nothing.
    [Fact]
    public async Task TimeInterval_MatchingRegistrations_InitiallyAndEveryInterval()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SubscriptionHost.StartAsync(clock);
        var type = NewType();
        using (var created = await host.SendAsync(HttpMethod.Post, "/csourceRegistrations", Registration(type)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        string sub;
        using (var response = await host.SendAsync(HttpMethod.Post, "/csourceSubscriptions",
            CSubscription($"\"entities\": [{{\"type\": \"{type}\"}}]", extra: ", \"timeInterval\": 10")))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            sub = response.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceSubscriptions/".Length..];
        }
        Assert.Single(host.Dispatcher.For(sub));
        using (var second = await host.SendAsync(HttpMethod.Post, "/csourceRegistrations", Registration(type)))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }
        Assert.Single(host.Dispatcher.For(sub));

        clock.Advance(TimeSpan.FromSeconds(10));

        var notifications = await host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal(2, notifications[1]["data"]!.AsArray().Count);
        Assert.Equal("newlyMatching", Reason(notifications[1]));
    }
}
