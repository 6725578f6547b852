using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Notifications;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>Change-driven notifications: what is matched and how it is rendered (ETSI 046_*), with a fake dispatcher.</summary>
public sealed class NotificationTests : IAsyncLifetime
{
    private const string Core = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string NewBuildingId() => "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");

    private static string Building(string id) => """
        {"id": "ID", "type": "Building",
         "name": {"type": "Property", "value": "Eiffel Tower"},
         "airQualityLevel": {"type": "Property", "value": 4},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-8.5, 41.2]}},
         "street": {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"}},
         "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"}}
        """.Replace("ID", id, StringComparison.Ordinal);

    private static string Subscription(string idOrPattern, string extra = "", string notification = "", bool isPattern = false)
    {
        var key = isPattern ? "idPattern" : "id";
        return "{\"type\": \"Subscription\", \"entities\": [{\"" + key + "\": \"" + idOrPattern + "\", \"type\": \"Building\"}]" + extra
            + ", \"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/notify\"}" + notification + "}}";
    }

    private async Task<string> CreateBuildingAsync(string? id = null)
    {
        id ??= NewBuildingId();
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", Building(id), HttpStatusCode.Created);
        return id;
    }

    private async Task UpdateAsync(string id, string attrs) =>
        await _host.WriteEntityAsync(HttpMethod.Patch, $"/entities/{id}/attrs", attrs, HttpStatusCode.NoContent);

    private static JsonObject Data(JsonObject notification) => Assert.Single(notification["data"]!.AsArray())!.AsObject();

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), "got " + actual?.ToJsonString());

    // 046_10_01: JSON notifications carry the context in a Link header and no @context in the data.
    [Fact]
    public async Task Create_DefaultTriggers_NotifiesNormalizedEntityWithLinkHeader()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id));

        await CreateBuildingAsync(id);

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        Assert.StartsWith("urn:ngsi-ld:Notification:", notification["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Notification", notification["type"]!.GetValue<string>());
        Assert.Equal(sub, notification["subscriptionId"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(notification["notifiedAt"]!.GetValue<string>(), out _));
        AssertJson(Building(id), Data(notification));
        var message = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Message;
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal($"<{Core}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", message.Link);
        Assert.Equal(new Uri("http://127.0.0.1:1/notify"), message.Endpoint);
        Assert.Equal("", message.Tenant);
        Assert.Equal(TimeSpan.Zero, message.Timeout);
    }

    // 046_14_01: JSON-LD notifications have @context in each entity and no Link header.
    [Fact]
    public async Task Create_AcceptLdJson_ContextInDataAndNoLink()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"id": "{{{{id}}}}", "type": "Building"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:1/notify", "accept": "application/ld+json",
               "receiverInfo": [{"key": "X-Auth", "value": "s3cret"}], "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}],
               "timeout": 1500, "cooldown": 200}}}
            """);

        await CreateBuildingAsync(id);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        Assert.Equal(Core, data["@context"]!.GetValue<string>());
        var message = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Message;
        Assert.Null(message.Link);
        Assert.Equal("application/ld+json", message.ContentType);
        Assert.Equal([new KeyValuePair<string, string>("X-Auth", "s3cret")], message.ReceiverInfo);
        Assert.Equal([new KeyValuePair<string, string>("MQTT-QoS", "1")], message.NotifierInfo);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), message.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(200), message.Cooldown);
    }

    [Fact]
    public async Task Update_SameValue_NoNotification_ChangedValue_Notifies()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["airQualityLevel"]"""));
        var before = _host.Notifier.ProcessedChanges;

        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 4}}""");
        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));

        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 5}}""");
        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        Assert.Equal(5, data["airQualityLevel"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_UnwatchedAttribute_NoNotification()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["airQualityLevel"]"""));
        var before = _host.Notifier.ProcessedChanges;

        await UpdateAsync(id, """{"name": {"type": "Property", "value": "Other"}}""");

        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));
    }

    // 046_06_01: entityCreated must be asked for; it alone does not fire on updates.
    [Fact]
    public async Task EntityCreatedTrigger_UpdateIgnored_CreateNotified()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "notificationTrigger": ["entityCreated"]"""));

        await CreateBuildingAsync(id);
        await _host.Dispatcher.WaitForAsync(sub, 1);
        var before = _host.Notifier.ProcessedChanges;
        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 9}}""");
        await _host.WaitProcessedAsync(before + 1);

        Assert.Single(_host.Dispatcher.For(sub));
    }

    // 046_21_01: an entity deletion notifies exactly id, type and deletedAt.
    [Fact]
    public async Task Delete_EntityDeletedTrigger_IdTypeDeletedAtOnly()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "notificationTrigger": ["entityDeleted"]"""));

        await _host.DeleteAsync("/entities/" + id);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        Assert.Equal(["id", "type", "deletedAt"], data.Select(m => m.Key));
        Assert.Equal(id, data["id"]!.GetValue<string>());
        Assert.Equal("Building", data["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_DefaultTriggers_NoNotification()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id));
        var before = _host.Notifier.ProcessedChanges;

        await _host.DeleteAsync("/entities/" + id);

        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));
    }

    // 046_22_01 / 046_22_03: a deleted watched attribute is sent as NGSI-LD Null; an unwatched one sends nothing.
    [Fact]
    public async Task DeleteAttribute_AttributeDeletedTrigger_NullFormOnlyForWatched()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["name"], "notificationTrigger": ["attributeDeleted"]"""));
        var before = _host.Notifier.ProcessedChanges;

        await _host.DeleteAsync($"/entities/{id}/attrs/airQualityLevel");
        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));

        await _host.DeleteAsync($"/entities/{id}/attrs/name");
        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        AssertJson("""{"type": "Property", "value": "urn:ngsi-ld:null"}""", data["name"]);
        Assert.NotNull(data["street"]);
        Assert.Null(data["airQualityLevel"]);
    }

    // 046_22_12: deleting the entity deletes its watched attributes.
    [Fact]
    public async Task DeleteEntity_AttributeDeletedTrigger_WatchedAttributesAsNull()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["name"], "notificationTrigger": ["attributeDeleted"]"""));

        await _host.DeleteAsync("/entities/" + id);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        Assert.Equal(["id", "type", "name", "deletedAt"], data.Select(m => m.Key));
        AssertJson("""{"type": "Property", "value": "urn:ngsi-ld:null"}""", data["name"]);
    }

    // 046_34_04: a deleted LanguageProperty is {"@none": "urn:ngsi-ld:null"}, with its previous map under showChanges.
    [Fact]
    public async Task DeleteAttribute_LanguagePropertyWithShowChanges_NoneNullAndPreviousLanguageMap()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "notificationTrigger": ["attributeDeleted"]""", notification: """, "showChanges": true"""));

        await _host.DeleteAsync($"/entities/{id}/attrs/street");

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        AssertJson("""
            {"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"},
             "previousLanguageMap": {"fr": "Grand Place", "nl": "Grote Markt"}}
            """, data["street"]);
        AssertJson("""{"type": "Property", "value": "Eiffel Tower"}""", data["name"]);
    }

    // 046_37_01: entity deletion with showChanges lists every attribute with its previous value.
    [Fact]
    public async Task DeleteEntity_ShowChanges_EveryAttributePreviousAndNull()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "notificationTrigger": ["entityDeleted"]""", notification: """, "showChanges": true"""));

        await _host.DeleteAsync("/entities/" + id);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        var deletedAt = data["deletedAt"]!.GetValue<string>();
        AssertJson($$$$"""
            {"id": "{{{{id}}}}", "type": "Building", "deletedAt": "{{{{deletedAt}}}}",
             "name": {"type": "Property", "previousValue": "Eiffel Tower", "value": "urn:ngsi-ld:null"},
             "airQualityLevel": {"type": "Property", "previousValue": 4, "value": "urn:ngsi-ld:null"},
             "location": {"type": "GeoProperty", "previousValue": {"type": "Point", "coordinates": [-8.5, 41.2]}, "value": "urn:ngsi-ld:null"},
             "street": {"type": "LanguageProperty", "previousLanguageMap": {"fr": "Grand Place", "nl": "Grote Markt"}, "languageMap": "urn:ngsi-ld:null"},
             "locatedAt": {"type": "Relationship", "previousObject": "urn:ngsi-ld:City:Paris", "object": "urn:ngsi-ld:null"}}
            """, data);
    }

    // 046_31_* / 046_40_01: previous members on updates, none on creation.
    [Fact]
    public async Task ShowChanges_UpdateHasPreviousMembers_CreationHasNone()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id, notification: """, "showChanges": true"""));
        await CreateBuildingAsync(id);
        var created = Data((await _host.Dispatcher.WaitForAsync(sub, 1))[0]);
        Assert.DoesNotContain("previous", created.ToJsonString(), StringComparison.Ordinal);

        await UpdateAsync(id, """
            {"street": {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "es": "Gran Lugar"}},
             "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Lyon"},
             "name": {"type": "Property", "value": "Tour"}}
            """);

        var data = Data((await _host.Dispatcher.WaitForAsync(sub, 2))[1]);
        AssertJson("""
            {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "es": "Gran Lugar"},
             "previousLanguageMap": {"fr": "Grand Place", "nl": "Grote Markt"}}
            """, data["street"]);
        AssertJson("""{"type": "Relationship", "object": "urn:ngsi-ld:City:Lyon", "previousObject": "urn:ngsi-ld:City:Paris"}""", data["locatedAt"]);
        AssertJson("""{"type": "Property", "value": "Tour", "previousValue": "Eiffel Tower"}""", data["name"]);
        AssertJson("""{"type": "Property", "value": 4}""", data["airQualityLevel"]);
    }

    [Fact]
    public async Task Format_KeyValuesWithDatasetDeletion_DatasetFormWithNull()
    {
        var id = NewBuildingId();
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", $$$$"""
            {"id": "{{{{id}}}}", "type": "Building",
             "name": [{"type": "Property", "value": "Eiffel Tower"},
                      {"type": "Property", "value": "Eiffelturm", "datasetId": "urn:ngsi-ld:Dataset:german-name"},
                      {"type": "Property", "value": "Tour Eiffel", "datasetId": "urn:ngsi-ld:Dataset:french-name"}]}
            """, HttpStatusCode.Created);
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "notificationTrigger": ["attributeDeleted"]""", notification: """, "format": "keyValues" """));

        await _host.DeleteAsync($"/entities/{id}/attrs/name?datasetId=urn:ngsi-ld:Dataset:french-name");

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        AssertJson($$$$"""
            {"id": "{{{{id}}}}", "type": "Building", "name": {"dataset": {"@none": "Eiffel Tower",
              "urn:ngsi-ld:Dataset:german-name": "Eiffelturm", "urn:ngsi-ld:Dataset:french-name": "urn:ngsi-ld:null"}}}
            """, data);
    }

    [Fact]
    public async Task Format_ConciseWithPickAndSysAttrs_Rendered()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id, notification: """, "format": "concise", "pick": ["id", "name", "locatedAt"]"""));
        var sysSub = await _host.SubscribeAsync(Subscription(id, notification: """, "attributes": ["name"], "sysAttrs": true"""));

        await CreateBuildingAsync(id);

        AssertJson($$$$"""{"id": "{{{{id}}}}", "name": "Eiffel Tower", "locatedAt": {"object": "urn:ngsi-ld:City:Paris"}}""",
            Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1))));
        var sys = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sysSub, 1)));
        Assert.Equal(["id", "type", "name", "createdAt", "modifiedAt"], sys.Select(m => m.Key));
        Assert.NotNull(sys["name"]!["createdAt"]);
    }

    [Fact]
    public async Task Filters_QGeoQScopeQ_OnlyMatchingChangesNotified()
    {
        var id = await CreateBuildingAsync();
        var q = await _host.SubscribeAsync(Subscription(id, extra: """, "q": "airQualityLevel>5" """));
        var near = await _host.SubscribeAsync(Subscription(id, extra: """, "geoQ": {"georel": "near;maxDistance==1000", "geometry": "Point", "coordinates": [-8.5, 41.2]}"""));
        var far = await _host.SubscribeAsync(Subscription(id, extra: """, "geoQ": {"georel": "near;maxDistance==1000", "geometry": "Point", "coordinates": [2.35, 48.85]}"""));
        var scope = await _host.SubscribeAsync(Subscription(id, extra: """, "scopeQ": "/Madrid/#" """));
        var before = _host.Notifier.ProcessedChanges;

        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 3}}""");
        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(q));
        Assert.Single(await _host.Dispatcher.WaitForAsync(near, 1));

        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 7}}""");
        await _host.WaitProcessedAsync(before + 2);
        Assert.Single(await _host.Dispatcher.WaitForAsync(q, 1));
        Assert.Empty(_host.Dispatcher.For(far));
        Assert.Empty(_host.Dispatcher.For(scope));

        await _host.WriteEntityAsync(HttpMethod.Post, $"/entities/{id}/attrs", """{"scope": "/Madrid/Centro"}""", HttpStatusCode.NoContent);
        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 8}}""");
        Assert.Single(await _host.Dispatcher.WaitForAsync(scope, 1));
    }

    // Subscriptions watching named attributes without q/geoQ are decided on those attributes alone; a q subscription
    // on the same entity still sees every attribute, and what is sent is always the whole entity.
    [Fact]
    public async Task WatchedByName_NextToQAndTypeSubscriptions_EachFilteredOnItsOwnAndWholeEntitySent()
    {
        var id = await CreateBuildingAsync();
        var byName = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["airQualityLevel"] """));
        var withQ = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["airQualityLevel"], "q": "name==\"Tour\"" """));
        var other = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["name"] """, notification: """, "showChanges": true"""));
        var byType = await _host.SubscribeAsync("""
            {"type": "Subscription", "entities": [{"type": "Building"}], "watchedAttributes": ["locatedAt"],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:1/notify"}, "format": "keyValues"}}
            """);
        var before = _host.Notifier.ProcessedChanges;

        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 3}}""");
        await _host.WaitProcessedAsync(before + 1);
        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(byName, 1)));
        AssertJson("""{"type": "Property", "value": "Eiffel Tower"}""", data["name"]);
        AssertJson("""{"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"}""", data["locatedAt"]);
        AssertJson("""{"type": "Property", "value": 3}""", data["airQualityLevel"]);
        Assert.Empty(_host.Dispatcher.For(withQ));
        Assert.Empty(_host.Dispatcher.For(other));

        await UpdateAsync(id, """{"name": {"type": "Property", "value": "Tour"}, "airQualityLevel": {"type": "Property", "value": 5}}""");
        await _host.WaitProcessedAsync(before + 2);
        Assert.Equal(2, (await _host.Dispatcher.WaitForAsync(byName, 2)).Count);
        AssertJson("""{"type": "Property", "value": "Tour"}""", Data(Assert.Single(await _host.Dispatcher.WaitForAsync(withQ, 1)))["name"]);
        var changed = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(other, 1)));
        AssertJson("""{"type": "Property", "value": "Tour", "previousValue": "Eiffel Tower"}""", changed["name"]);
        AssertJson("""{"type": "Property", "value": 5}""", changed["airQualityLevel"]);

        await UpdateAsync(id, """{"locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Lyon"}}""");
        await _host.WaitProcessedAsync(before + 3);
        var typed = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(byType, 1)));
        Assert.Equal("urn:ngsi-ld:City:Lyon", typed["locatedAt"]!.GetValue<string>());
        Assert.Equal("Tour", typed["name"]!.GetValue<string>());
        Assert.Equal(2, _host.Dispatcher.For(byName).Count);
        Assert.Single(_host.Dispatcher.For(withQ));
        Assert.Single(_host.Dispatcher.For(other));
    }

    // Selection by type expression and idPattern; entities of other types are never candidates.
    [Fact]
    public async Task Selection_TypeExpressionAndIdPattern_MatchOnlySelected()
    {
        var prefix = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        var pattern = await _host.SubscribeAsync(Subscription(prefix + ".*", isPattern: true));
        var types = await _host.SubscribeAsync("""
            {"type": "Subscription", "entities": [{"type": "Building;Landmark"}], "q": "airQualityLevel==42",
             "notification": {"endpoint": {"uri": "http://127.0.0.1:1/notify"}}}
            """);
        var before = _host.Notifier.ProcessedChanges;

        await CreateBuildingAsync(prefix + ":1");
        await CreateBuildingAsync("urn:ngsi-ld:Building:other" + Guid.NewGuid().ToString("N"));
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", $$$$"""
            {"id": "{{{{prefix}}}}:2", "type": ["Building", "Landmark"], "airQualityLevel": {"type": "Property", "value": 42}}
            """, HttpStatusCode.Created);
        await _host.WaitProcessedAsync(before + 3);

        Assert.Equal(2, (await _host.Dispatcher.WaitForAsync(pattern, 2)).Count);
        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(types, 1)));
        Assert.Equal(prefix + ":2", data["id"]!.GetValue<string>());
    }

    // 046_01_01: paused subscriptions send nothing; re-activated ones resume.
    [Fact]
    public async Task Paused_NoNotification_ReactivatedNotifies()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "isActive": false"""));
        var before = _host.Notifier.ProcessedChanges;
        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 11}}""");
        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));

        using (var patch = await _host.SendAsync(HttpMethod.Patch, "/subscriptions/" + sub, """{"isActive": true}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        }
        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 12}}""");

        Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
    }

    // §5.5.11.3: a batch with repeated ids gives one notification per individual change.
    [Fact]
    public async Task Batch_RepeatedIds_OneNotificationPerChange()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "watchedAttributes": ["airQualityLevel"]"""));

        await _host.WriteEntityAsync(HttpMethod.Post, "/entityOperations/upsert?options=update", $$$$"""
            [{"id": "{{{{id}}}}", "type": "Building", "airQualityLevel": {"type": "Property", "value": 20}},
             {"id": "{{{{id}}}}", "type": "Building", "airQualityLevel": {"type": "Property", "value": 21}}]
            """, HttpStatusCode.NoContent);

        var notifications = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal([20, 21], notifications.Select(n => Data(n)["airQualityLevel"]!["value"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Tenant_SubscriptionSeesOnlyItsTenant()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id), tenant: "city1");
        await CreateBuildingAsync(id);
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", Building(id), HttpStatusCode.Created, tenant: "city1");

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        Assert.Equal("city1", _host.Dispatcher.Queued.Single(q => q.Key == "city1\n" + sub).Message.Tenant);
        Assert.Equal(id, Data(notification)["id"]!.GetValue<string>());
    }

    // 046_07_03 / 046_20: notifications are compacted with the subscription's own @context; unknown terms stay IRIs.
    [Fact]
    public async Task Compaction_SubscriptionContext_TermsCompactedAndLinkAbsolute()
    {
        var id = NewBuildingId();
        var body = $$$$"""
            {"type": "Subscription", "entities": [{"id": "{{{{id}}}}", "type": "Building"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:1/notify"}},
             "@context": {"Building": "http://example.org/Building", "height": "http://example.org/height"}}
            """;
        using var created = await _host.SendAsync(HttpMethod.Post, "/subscriptions", body, contentType: "application/ld+json");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sub = created.Headers.Location!.OriginalString["/ngsi-ld/v1/subscriptions/".Length..];
        Assert.NotNull(sub);
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", $$$$"""
            {"id": "{{{{id}}}}", "type": "http://example.org/Building",
             "http://example.org/height": {"type": "Property", "value": 300},
             "http://example.org/other": {"type": "Property", "value": 1}}
            """, HttpStatusCode.Created);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        Assert.Equal("Building", data["type"]!.GetValue<string>());
        Assert.NotNull(data["height"]);
        Assert.NotNull(data["http://example.org/other"]);
        var link = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Message.Link!;
        Assert.StartsWith("<http://127.0.0.1:", link, StringComparison.Ordinal);
        Assert.Contains("/ngsi-ld/v1/jsonldContexts/", link, StringComparison.Ordinal);
    }

    // 046_11_01 / 046_12_01 / 046_13_01: delivery outcomes become the notification status members.
    [Fact]
    public async Task DeliveryOutcomes_ShownOnRetrieve()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id));
        await CreateBuildingAsync(id);
        await _host.Dispatcher.WaitForAsync(sub, 1);
        var observer = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Observer;
        var sent = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        observer.Completed(DeliveryResult.Ok, sent);
        var ok = (await _host.GetSubscriptionAsync(sub))["notification"]!;
        Assert.Equal("ok", ok["status"]!.GetValue<string>());
        Assert.Equal(1, ok["timesSent"]!.GetValue<int>());
        Assert.Equal("2026-01-02T03:04:05.000Z", ok["lastNotification"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.000Z", ok["lastSuccess"]!.GetValue<string>());
        Assert.Null(ok["timesFailed"]);

        observer.Completed(DeliveryResult.Failed("refused", retryable: true), sent.AddSeconds(1));
        observer.Dropped("queue full");
        var failed = (await _host.GetSubscriptionAsync(sub))["notification"]!;
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(2, failed["timesSent"]!.GetValue<int>());
        Assert.Equal(1, failed["timesFailed"]!.GetValue<int>());
        Assert.Equal(1, failed["timesDropped"]!.GetValue<int>());
        Assert.Equal("2026-01-02T03:04:06.000Z", failed["lastFailure"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteSubscription_QueueRemovedAndNoMoreNotifications()
    {
        var id = await CreateBuildingAsync();
        var sub = await _host.SubscribeAsync(Subscription(id));
        var sentinel = await _host.SubscribeAsync(Subscription(id));

        await _host.DeleteAsync("/subscriptions/" + sub);
        await UpdateAsync(id, """{"airQualityLevel": {"type": "Property", "value": 13}}""");
        await _host.Dispatcher.WaitForAsync(sentinel, 1);

        Assert.Contains("\n" + sub, _host.Dispatcher.Removed);
        Assert.Empty(_host.Dispatcher.For(sub));
        using var gone = await _host.SendAsync(HttpMethod.Get, "/subscriptions/" + sub);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
    [Fact]
    public async Task Lang_LanguagePropertyRenderedAsPropertyInThatLanguage()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "lang": "nl" """, notification: """, "attributes": ["street"]"""));

        await CreateBuildingAsync(id);

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        AssertJson("""{"type": "Property", "value": "Grote Markt", "lang": "nl"}""", data["street"]);
    }

    // Only changes of the selected dataset instances count, and only they are rendered.
    [Fact]
    public async Task DatasetId_OnlySelectedInstancesWatchedAndRendered()
    {
        var id = NewBuildingId();
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", $$$$"""
            {"id": "{{{{id}}}}", "type": "Building",
             "name": [{"type": "Property", "value": "Eiffel Tower"},
                      {"type": "Property", "value": "Eiffelturm", "datasetId": "urn:ngsi-ld:Dataset:german-name"}]}
            """, HttpStatusCode.Created);
        var sub = await _host.SubscribeAsync(Subscription(id, extra: """, "datasetId": ["urn:ngsi-ld:Dataset:german-name"]"""));
        var before = _host.Notifier.ProcessedChanges;

        await UpdateAsync(id, """{"name": {"type": "Property", "value": "La Tour"}}""");
        await _host.WaitProcessedAsync(before + 1);
        Assert.Empty(_host.Dispatcher.For(sub));
        await UpdateAsync(id, """{"name": {"type": "Property", "value": "Turm", "datasetId": "urn:ngsi-ld:Dataset:german-name"}}""");

        var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
        AssertJson("""{"type": "Property", "value": "Turm", "datasetId": "urn:ngsi-ld:Dataset:german-name"}""", data["name"]);
    }

    [Fact]
    public async Task AcceptGeoJson_DataIsFeatureCollection()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id, notification: """, "attributes": ["name", "location"]""")
            .Replace("/notify\"}", "/notify\", \"accept\": \"application/geo+json\"}", StringComparison.Ordinal));

        await CreateBuildingAsync(id);

        var notification = Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1));
        var data = notification["data"]!;
        Assert.Equal("FeatureCollection", data["type"]!.GetValue<string>());
        var feature = Assert.Single(data["features"]!.AsArray())!;
        Assert.Equal(id, feature["id"]!.GetValue<string>());
        AssertJson("""{"type": "Point", "coordinates": [-8.5, 41.2]}""", feature["geometry"]);
    }

    // §7.2: MQTT endpoints are accepted and handed to the dispatcher as they are.
    [Fact]
    public async Task MqttEndpoint_MessageCarriesEndpointAndNotifierInfo()
    {
        var id = NewBuildingId();
        var sub = await _host.SubscribeAsync(Subscription(id)
            .Replace("http://127.0.0.1:1/notify\"}", "mqtt://127.0.0.1:1883/topic\", \"notifierInfo\": [{\"key\": \"MQTT-Version\", \"value\": \"mqtt5.0\"}]}", StringComparison.Ordinal));

        await CreateBuildingAsync(id);

        await _host.Dispatcher.WaitForAsync(sub, 1);
        var message = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Message;
        Assert.Equal(new Uri("mqtt://127.0.0.1:1883/topic"), message.Endpoint);
        Assert.Equal([new KeyValuePair<string, string>("MQTT-Version", "mqtt5.0")], message.NotifierInfo);
    }

    // 046_20: jsonldContext compacts the notification and is the Link of JSON notifications.
    [Fact]
    public async Task JsonLdContext_UsedForCompactionAndLink()
    {
        var contexts = new ContextServer();
        await contexts.InitializeAsync();
        try
        {
            var url = contexts.Serve("sub-ctx.jsonld", """{"@context": {"Tower": "https://uri.etsi.org/ngsi-ld/default-context/Building", "label": "https://uri.etsi.org/ngsi-ld/default-context/name"}}""");
            var id = NewBuildingId();
            var sub = await _host.SubscribeAsync(Subscription(id, extra: ", \"jsonldContext\": \"" + url + "\""));

            await CreateBuildingAsync(id);

            var data = Data(Assert.Single(await _host.Dispatcher.WaitForAsync(sub, 1)));
            Assert.Equal("Tower", data["type"]!.GetValue<string>());
            AssertJson("""{"type": "Property", "value": "Eiffel Tower"}""", data["label"]);
            var message = _host.Dispatcher.Queued.Single(q => q.Key == "\n" + sub).Message;
            Assert.Equal($"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", message.Link);
            Assert.Equal(url, (await _host.GetSubscriptionAsync(sub))["jsonldContext"]!.GetValue<string>());
        }
        finally
        {
            await contexts.DisposeAsync();
        }
    }
}
