using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>Throttling, periodic notifications and expiry, driven by a fake clock.</summary>
public sealed class TimedNotificationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 5, 1, 10, 0, 0, TimeSpan.Zero));
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync(_clock);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Entity(string id, int value) =>
        "{\"id\": \"" + id + "\", \"type\": \"Sensor\", \"level\": {\"type\": \"Property\", \"value\": " + value + "}}";

    private Task SetLevelAsync(string id, int value) =>
        _host.WriteEntityAsync(HttpMethod.Patch, $"/entities/{id}/attrs", "{\"level\": {\"type\": \"Property\", \"value\": " + value + "}}", HttpStatusCode.NoContent);

    // 046_15_01: changes inside the throttling window are not sent.
    [Fact]
    public async Task Throttling_ChangesInsideWindowSkipped()
    {
        var id = "urn:ngsi-ld:Sensor:" + Guid.NewGuid().ToString("N");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", Entity(id, 0), HttpStatusCode.Created);
        var sub = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"id\": \"" + id + "\", \"type\": \"Sensor\"}], \"throttling\": 10, "
            + "\"notification\": {\"format\": \"keyValues\", \"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");
        var processed = _host.Notifier.ProcessedChanges;

        await SetLevelAsync(id, 1);
        await SetLevelAsync(id, 2);
        await _host.WaitProcessedAsync(processed + 2);
        _clock.Advance(TimeSpan.FromSeconds(10));
        await SetLevelAsync(id, 3);

        var sent = await _host.Dispatcher.WaitForAsync(sub, 2);
        Assert.Equal([1, 3], sent.Select(n => n["data"]![0]!["level"]!.GetValue<int>()));
    }

    // 046_02_01: every timeInterval, all matching entities in one notification; nothing when none match.
    [Fact]
    public async Task Periodic_NotifiesAllMatchesEachInterval_NothingWhenNoneMatch()
    {
        var type = "Probe" + Guid.NewGuid().ToString("N");
        var sub = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"timeInterval\": 5, \"q\": \"level>0\", "
            + "\"notification\": {\"format\": \"keyValues\", \"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");

        var runs = _host.Notifier.PeriodicRuns;
        _clock.Advance(TimeSpan.FromSeconds(5));
        // The tick queries the store asynchronously: the entities below must come after its query (a database round
        // trip can take longer than the writes), or they would be part of this "empty" tick.
        await Aeros.Testing.TestDeadline.Until(() => Task.FromResult(_host.Notifier.PeriodicRuns > runs), "the first periodic tick ran");
        // An empty tick sends nothing; a change never triggers a periodic subscription.
        for (var i = 1; i <= 3; i++)
        {
            await _host.WriteEntityAsync(HttpMethod.Post, "/entities",
                "{\"id\": \"urn:ngsi-ld:" + type + ":" + i + "\", \"type\": \"" + type + "\", \"level\": {\"type\": \"Property\", \"value\": " + (i - 1) + "}}", HttpStatusCode.Created);
        }
        Assert.Empty(_host.Dispatcher.For(sub));

        _clock.Advance(TimeSpan.FromSeconds(5));
        var first = (await _host.Dispatcher.WaitForAsync(sub, 1))[0];
        Assert.Equal(["urn:ngsi-ld:" + type + ":2", "urn:ngsi-ld:" + type + ":3"], first["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, (await _host.Dispatcher.WaitForAsync(sub, 2)).Count);
    }

    // 038_05_01: a subscription expires when expiresAt passes: status expired, no more notifications.
    [Fact]
    public async Task ExpiresAt_Passed_StatusExpiredAndSilent()
    {
        var id = "urn:ngsi-ld:Sensor:" + Guid.NewGuid().ToString("N");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", Entity(id, 0), HttpStatusCode.Created);
        var expiresAt = _clock.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var sub = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"id\": \"" + id + "\", \"type\": \"Sensor\"}], \"expiresAt\": \"" + expiresAt + "\", "
            + "\"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");
        var sentinel = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"id\": \"" + id + "\", \"type\": \"Sensor\"}], "
            + "\"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");
        await SetLevelAsync(id, 1);
        await _host.Dispatcher.WaitForAsync(sub, 1);

        _clock.Advance(TimeSpan.FromMinutes(2));
        await SetLevelAsync(id, 2);
        await _host.Dispatcher.WaitForAsync(sentinel, 2);

        Assert.Single(_host.Dispatcher.For(sub));
        Assert.Equal("expired", (await _host.GetSubscriptionAsync(sub))["status"]!.GetValue<string>());

        // 029_10_01: a new future expiresAt re-activates it.
        var later = _clock.GetUtcNow().AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        using var patch = await _host.SendAsync(HttpMethod.Patch, "/subscriptions/" + sub, "{\"expiresAt\": \"" + later + "\"}");
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        Assert.Equal("active", (await _host.GetSubscriptionAsync(sub))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Periodic_AfterRestart_TimerRunsAgain()
    {
        var type = "Probe" + Guid.NewGuid().ToString("N");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities",
            "{\"id\": \"urn:ngsi-ld:" + type + ":1\", \"type\": \"" + type + "\", \"level\": {\"type\": \"Property\", \"value\": 1}}", HttpStatusCode.Created);
        var sub = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"timeInterval\": 60, "
            + "\"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");

        _host = await _host.RestartAsync();
        _clock.Advance(TimeSpan.FromSeconds(60));

        var data = (await _host.Dispatcher.WaitForAsync(sub, 1))[0]["data"]!.AsArray();
        Assert.Equal("urn:ngsi-ld:" + type + ":1", Assert.Single(data)!["id"]!.GetValue<string>());
    }

    // The store's writer never waits for matching: when the change queue is full, changes are dropped and counted.
    [Fact]
    public async Task StalledMatching_ChangeQueueFull_WritesSucceedAndDropsCounted()
    {
        await _host.DisposeAsync();
        _host = await SubscriptionHost.StartAsync(_clock, configure: o => o.ChangeQueueCapacity = 16);
        using var gate = new ManualResetEventSlim(false);
        _host.Dispatcher.Gate = gate;
        var id = "urn:ngsi-ld:Sensor:" + Guid.NewGuid().ToString("N");
        await _host.WriteEntityAsync(HttpMethod.Post, "/entities", Entity(id, 0), HttpStatusCode.Created);
        var sub = await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"id\": \"" + id + "\", \"type\": \"Sensor\"}], "
            + "\"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}");
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 1; i <= 60; i++)
            {
                await SetLevelAsync(id, i);
            }
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"writes took {watch.Elapsed}");
            Assert.True(_host.Notifier.DroppedChanges > 0, "no change was dropped");
        }
        finally
        {
            gate.Set();
        }
        var delivered = await _host.Dispatcher.WaitForAsync(sub, 60 - (int)_host.Notifier.DroppedChanges);
        Assert.Equal(60, delivered.Count + _host.Notifier.DroppedChanges);
    }
}
