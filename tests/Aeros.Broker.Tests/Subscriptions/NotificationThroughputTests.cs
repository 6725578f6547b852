using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>Matching and rendering throughput with many subscriptions (the delivery side is a fake).</summary>
[Trait("Category", "Performance")]
public sealed class NotificationThroughputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ThousandSubscriptions_BatchOfChanges_RenderedAtLeast5000PerSecond()
    {
        const int subscriptions = 1000;
        const int entities = 100;
        var type = "Load" + Guid.NewGuid().ToString("N");
        var body = "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"watchedAttributes\": [\"op\"], "
            + "\"notification\": {\"attributes\": [\"op\"], \"format\": \"keyValues\", \"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}";
        for (var i = 0; i < subscriptions; i += 50)
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _host.SubscribeAsync(body)));
        }
        var batch = new StringBuilder("[");
        for (var i = 0; i < entities; i++)
        {
            batch.Append(i == 0 ? "" : ",").Append("{\"id\": \"urn:ngsi-ld:").Append(type).Append(':').Append(i)
                .Append("\", \"type\": \"").Append(type).Append("\", \"op\": {\"type\": \"Property\", \"value\": ").Append(i).Append("}}");
        }
        batch.Append(']');

        var watch = Stopwatch.StartNew();
        await _host.WriteEntityAsync(HttpMethod.Post, "/entityOperations/create", batch.ToString(), HttpStatusCode.Created);
        await _host.WaitQueuedAsync((long)subscriptions * entities, TimeSpan.FromSeconds(60));
        watch.Stop();

        var rate = subscriptions * entities / watch.Elapsed.TotalSeconds;
        output.WriteLine($"{subscriptions * entities} notifications matched and rendered in {watch.Elapsed.TotalMilliseconds:0} ms: {rate:N0}/s");
        Assert.True(rate >= 5000, $"only {rate:N0} notifications/s");
    }
}

/// <summary>Many subscriptions matching every write, delivered by the real dispatcher to a real HTTP receiver.</summary>
[Trait("Category", "Performance")]
public sealed class SaturationDeliveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Aeros.Broker.Tests.TestSupport.BrokerServer _broker = new();
    private Aeros.Broker.Tests.Notifications.NotificationReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        await _broker.InitializeAsync();
        _receiver = await Aeros.Broker.Tests.Notifications.NotificationReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private async Task SendAsync(HttpMethod method, string path, string json, HttpStatusCode expected)
    {
        using var request = Aeros.Broker.Tests.TestSupport.Ngsi.Request(method, path, Aeros.Broker.Tests.TestSupport.Ngsi.Json(json));
        using var response = await _broker.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task EveryWriteNotifiesEverySubscription_AllDelivered()
    {
        const int subscriptions = 500;
        const int writes = 40;
        var type = "Sat" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < writes; i++)
        {
            await SendAsync(HttpMethod.Post, "/entities", "{\"id\": \"urn:ngsi-ld:" + type + ":" + i + "\", \"type\": \"" + type + "\", \"op\": {\"type\": \"Property\", \"value\": -1}}", HttpStatusCode.Created);
        }
        var body = "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"watchedAttributes\": [\"op\"], "
            + "\"notification\": {\"attributes\": [\"op\"], \"format\": \"keyValues\", \"endpoint\": {\"uri\": \"" + _receiver.Url("/notify") + "\", \"accept\": \"application/json\"}}}";
        for (var i = 0; i < subscriptions; i++)
        {
            await SendAsync(HttpMethod.Post, "/subscriptions", body, HttpStatusCode.Created);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writes).Select(i =>
            SendAsync(HttpMethod.Patch, $"/entities/urn:ngsi-ld:{type}:{i}/attrs", "{\"op\": {\"type\": \"Property\", \"value\": " + i + "}}", HttpStatusCode.NoContent)));
        try
        {
            await _receiver.WaitForCountAsync(subscriptions * writes, TimeSpan.FromSeconds(60));
        }
        finally
        {
            output.WriteLine($"received {_receiver.Count} of {subscriptions * writes} after {watch.Elapsed.TotalMilliseconds:0} ms");
        }

        output.WriteLine($"{subscriptions * writes} notifications delivered in {watch.Elapsed.TotalMilliseconds:0} ms");
    }
}

/// <summary>After slow and dead receivers were deleted, healthy subscriptions still get everything.</summary>
[Trait("Category", "Performance")]
public sealed class RecoveryAfterDeadReceiversTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SubscriptionHost _host = null!;
    private Aeros.Broker.Tests.Notifications.NotificationReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _host = await SubscriptionHost.StartAsync(realDispatcher: true);
        _receiver = await Aeros.Broker.Tests.Notifications.NotificationReceiver.StartAsync(async (request, _, token) =>
        {
            if (request.Path == "/slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(2), token);
            }
            return 204;
        });
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task SlowAndDeadDeleted_ThenSaturation_AllDelivered()
    {
        // At 1,000 subscriptions the delivery side stalls (slow and healthy endpoints of one host share its connection
        // pool); this size checks the subscription side hands every notification over and they arrive.
        const int n = 200;
        const int writes = 20;
        var type = "Rec" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < n; i++)
        {
            await _host.WriteEntityAsync(HttpMethod.Post, "/entities", "{\"id\": \"urn:ngsi-ld:" + type + ":" + i + "\", \"type\": \"" + type + "\", \"op\": {\"type\": \"Property\", \"value\": -1}}", HttpStatusCode.Created);
        }
        var perEntity = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var uri = i % 2 == 0 ? "http://127.0.0.1:1/dead" : _receiver.Url("/slow").ToString();
            perEntity.Add(await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"id\": \"urn:ngsi-ld:" + type + ":" + i + "\", \"type\": \"" + type + "\"}], "
                + "\"watchedAttributes\": [\"op\"], \"notification\": {\"endpoint\": {\"uri\": \"" + uri + "\"}}}"));
        }
        var op = 0;
        for (var round = 0; round < 5; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, n).Select(i => _host.WriteEntityAsync(HttpMethod.Patch, $"/entities/urn:ngsi-ld:{type}:{i}/attrs",
                "{\"op\": {\"type\": \"Property\", \"value\": " + Interlocked.Increment(ref op) + "}}", HttpStatusCode.NoContent)));
        }
        foreach (var id in perEntity)
        {
            await _host.DeleteAsync("/subscriptions/" + id);
        }
        var before = _receiver.Count;
        var queuedBefore = _host.Notifier.Queued;
        for (var i = 0; i < n; i++)
        {
            await _host.SubscribeAsync("{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"watchedAttributes\": [\"op\"], "
                + "\"notification\": {\"attributes\": [\"op\"], \"format\": \"keyValues\", \"endpoint\": {\"uri\": \"" + _receiver.Url("/notify") + "\"}}}");
        }
        await Task.WhenAll(Enumerable.Range(0, writes).Select(i => _host.WriteEntityAsync(HttpMethod.Patch, $"/entities/urn:ngsi-ld:{type}:{i}/attrs",
            "{\"op\": {\"type\": \"Property\", \"value\": " + Interlocked.Increment(ref op) + "}}", HttpStatusCode.NoContent)));
        try
        {
            await _receiver.WaitForCountAsync(before + n * writes, TimeSpan.FromSeconds(60));
        }
        finally
        {
            var slow = _receiver.Requests.Skip(before).Count(r => r.Path == "/slow");
            var dispatcher = (Aeros.Broker.Notifications.INotificationDispatcher)_host.Services.GetService(typeof(Aeros.Broker.Notifications.INotificationDispatcher))!;
            output.WriteLine($"queued {_host.Notifier.Queued - queuedBefore}, received {_receiver.Count - before} of {n * writes} ({slow} slow after the deletion); dispatcher pending {dispatcher.Pending}, dropped {dispatcher.Dropped}");
        }
    }
}
